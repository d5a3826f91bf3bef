import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WebFixture {
  readonly dir: string;
  readonly asset: string;
  remove(): void;
}

/** A tiny built-web-app look-alike: index.html referencing one hashed script under assets/. */
export function createWebFixture(): WebFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  const asset = 'index-Abc123de.js';
  fs.writeFileSync(path.join(dir, 'assets', asset), 'document.getElementById("root").textContent = "slipway fixture app";\n');
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>Slipway fixture</title><script type="module" src="/assets/${asset}"></script></head><body><div id="root"></div></body></html>\n`,
  );
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return { dir, asset, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
