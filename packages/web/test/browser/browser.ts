import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium: `.ci/run` installs the package when it is missing (never a browser download). */
export const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Screenshots of every page land here (git-ignored); docs/screenshots holds the committed set. */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'screenshots');

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (its own cookies): one per signed-in user. */
  context(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with a fresh profile and with its background traffic off (this
 * machine has no network beyond 127.0.0.1; without these flags Chromium keeps trying to reach
 * Google's hosts).
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium); .ci/run does.`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-chromium-'));
  const context0 = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
    viewport: { width: 1360, height: 900 },
  });
  const browser = context0.browser()!;
  return {
    browser,
    // A persistent context has one profile; other users get their own (incognito-like) contexts.
    async context() {
      const context = browser ? await browser.newContext({ viewport: { width: 1360, height: 900 } }) : context0;
      return context;
    },
    async close() {
      await context0.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Serious and critical axe-core violations of the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A screenshot of the whole page, or of the viewport (`fullPage: false`: an open dialog, whose overlay covers the viewport only). */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  if (options.fullPage === false) {
    await page.screenshot({ path: file });
    return file;
  }
  // The whole page through a window as tall as the page: the fixed header and sidebar then reach the bottom,
  // as on a tall screen (a "fullPage" capture leaves them at the first window's height).
  const viewport = page.viewportSize() ?? { width: 1360, height: 900 };
  const height = await page.evaluate<number>('document.scrollingElement.scrollHeight');
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height: Math.min(height, 6000) });
  try {
    await page.screenshot({ path: file });
  } finally {
    if (height > viewport.height) await page.setViewportSize(viewport);
  }
  return file;
}

/**
 * Layout problems a screenshot would show: the main content touching the navigation (no gap
 * between the sidebar's right edge and the first content on the left) or a page wider than the
 * window. Runs in the page; empty when the layout is sound.
 */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const problems = [];
    const doc = document.scrollingElement;
    if (doc.scrollWidth > doc.clientWidth + 1) problems.push('the page is ' + (doc.scrollWidth - doc.clientWidth) + 'px wider than the window');
    const nav = document.querySelector('.mantine-AppShell-navbar');
    const main = document.getElementById('main');
    if (nav && main) {
      const edge = nav.getBoundingClientRect().right;
      let left = Infinity;
      for (const el of main.querySelectorAll('h1, h2, h3, p, a, button, table, label, input')) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) left = Math.min(left, r.left);
      }
      if (left !== Infinity && left - edge < 8) problems.push('main content starts ' + Math.round(left - edge) + 'px right of the navigation');
    }
    return problems;
  })()`);
}

/** Signs in through the login page, as a person would. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}
