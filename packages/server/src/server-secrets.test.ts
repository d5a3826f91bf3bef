import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { runGit } from './git/git-runner.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './notifications/receiver-fixtures.js';
import { startServer, type RunningServer } from './server.js';
import { createTestRepository, type TestRepository } from './testing/git-fixtures.js';
import { startGitHttpServer, type GitHttpServer } from './testing/git-http-server.js';

// Issue 11, "a secrets test": a real server (SQLite, LOG_LEVEL=debug, log captured) given a repository
// behind HTTP basic auth, channels and executors with secrets. No response, audit record, log line or
// file others can read may contain any of them; moving a destination without the secrets is refused.
const GIT_PASSWORD = 'git-pass-7f3c1d9e';
const WRONG_PASSWORD = 'wrong-pass-4b2a99';
const HOOK_SECRET = 'hook-secret-0123456789abcdef';
const HEADER_TOKEN = 'header-token-55aa77';
const SMTP_PASSWORD = 'smtp-pass-31337x';
const EXECUTOR_SECRET = 'exec-secret-9876543210fedcba';
const NEW_HOOK_SECRET = 'rotated-hook-secret-abcdef012345';
const SECRETS = [GIT_PASSWORD, WRONG_PASSWORD, HOOK_SECRET, HEADER_TOKEN, SMTP_PASSWORD, EXECUTOR_SECRET, NEW_HOOK_SECRET];
const ADMIN_TOKEN = 'admin-token-for-the-secrets-test';

function leaked(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret) || text.includes(encodeURIComponent(secret)) || text.includes(Buffer.from(secret).toString('base64')));
}

/** Whether a user other than the owner (and not in the group) can read the file: every directory above it searchable, the file readable. */
function readableByOthers(file: string, root: string): boolean {
  if ((fs.statSync(file).mode & 0o004) === 0) return false;
  for (let dir = path.dirname(file); dir.startsWith(root); dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
  }
  return true;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

describe('secrets never leak (issue 11)', () => {
  let repo: TestRepository;
  let git: GitHttpServer;
  let receiver: HttpReceiver;
  let attacker: HttpReceiver;
  let smtp: SmtpReceiver;
  let dataDir: string;
  let server: RunningServer | null = null;
  const log: string[] = [];
  const bodies: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.push(chunk.toString('utf8'));
      done();
    },
  });

  async function start(): Promise<RunningServer> {
    const config = loadConfig({ SLIPWAY_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'debug', SLIPWAY_BOOTSTRAP_TOKEN: ADMIN_TOKEN, SLIPWAY_NOTIFY_POLL_MS: '50', SLIPWAY_REPO_REFRESH_MS: '0' });
    server = await startServer(config, { logStream });
    return server;
  }

  async function api(method: string, pathname: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; json: any; text: string }> {
    const res = await fetch(`${server!.url}/api/v1${pathname}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    bodies.push(`${method} ${pathname} → ${res.status}: ${text}`);
    return { status: res.status, json: text ? JSON.parse(text) : null, text };
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(check()).toBe(true);
  }

  beforeAll(async () => {
    repo = await createTestRepository();
    await repo.commit('feat: first feature (SHOP-1)', { 'a.txt': 'a' });
    await repo.push('main');
    git = await startGitHttpServer(repo.remote, { username: 'alice', password: GIT_PASSWORD });
    receiver = await startHttpReceiver({ secret: HOOK_SECRET });
    attacker = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-secrets-')), 'data');
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([git.close(), receiver.close(), attacker.close(), smtp.close()]);
    await repo.cleanup();
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('a team registers a credentialed repository, releases and announces; a redirect of the channel without its secret is refused', async () => {
    await start();
    const credentialed = git.url.replace('http://', `http://alice:${GIT_PASSWORD}@`);
    const shown = git.url.replace('http://', 'http://alice:***@');

    // The channel that announces releases, with a signing secret and an Authorization header.
    const hook = await api('POST', '/channels', { name: 'releases', type: 'webhook', config: { url: `${receiver.url}/hook`, secret: HOOK_SECRET, headers: { Authorization: `Bearer ${HEADER_TOKEN}` } }, subscriptions: [{ events: ['release.*'] }] });
    expect(hook.status, hook.text).toBe(201);
    const mail = await api('POST', '/channels', { name: 'mail', type: 'email', config: { host: '127.0.0.1', port: smtp.port, auth: { user: 'mailer', pass: SMTP_PASSWORD }, from: 'slipway@example.com', to: ['team@example.com'] }, subscriptions: [{ events: ['release.*'] }] });
    expect(mail.status, mail.text).toBe(201);
    expect((await api('POST', '/environments', { key: 'staging' })).status).toBe(201);
    const targets = await api('PATCH', '/environments/staging', { targets: [{ key: 'web', executor: { type: 'webhook', url: `${receiver.url}/deploy`, secret: EXECUTOR_SECRET } }] });
    expect(targets.status, targets.text).toBe(200);

    // The repository is checked (cloned through askpass) and shown without its password.
    const created = await api('POST', '/projects', { key: 'shop', repository: credentialed });
    expect(created.status, created.text).toBe(201);
    expect(created.json.repository).toBe(shown);
    expect(git.requests.some((r) => r.authorized === true && r.user === 'alice')).toBe(true);

    // A release pushes its tag through the same credentials; the channels announce it.
    const release = await api('POST', '/projects/shop/releases', {});
    expect(release.status, release.text).toBe(201);
    expect(await repo.remoteGit('tag', '--list')).toContain(release.json.tag);
    expect(git.requests.some((r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack') && r.authorized === true)).toBe(true);
    await until(() => receiver.requests.some((r) => r.path === '/hook' && r.json?.event?.type === 'release.created'));
    const announced = receiver.requests.find((r) => r.path === '/hook')!;
    expect(announced.signatureValid).toBe(true);
    expect(announced.headers.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
    await until(() => smtp.messages.length > 0);
    expect(smtp.logins).toContainEqual({ username: 'mailer', password: SMTP_PASSWORD });

    // A fetch on request, and what viewers see.
    expect((await api('POST', '/projects/shop/repository/refresh?wait=true')).status).toBe(200);
    const viewer = await api('POST', '/users', { username: 'vera', role: 'viewer' });
    const viewerToken = (await api('POST', '/tokens', { name: 'vera', userId: viewer.json.id })).json.token as string;
    const listed = await api('GET', '/projects', undefined, viewerToken);
    expect(listed.json.items[0].repository).toBe(shown);
    expect((await api('GET', '/projects/shop', undefined, viewerToken)).json.repository).toBe(shown);

    // A wrong password is refused with git's message, which does not carry it; nothing changes.
    const wrong = await api('PATCH', '/projects/shop', { repository: git.url.replace('http://', `http://alice:${WRONG_PASSWORD}@`) });
    expect(wrong.status, wrong.text).toBe(422);
    expect(wrong.json.error.code).toBe('repository_unreachable');
    // Sending the shown URL back keeps the stored password; pointing it at another server does not.
    expect((await api('PATCH', '/projects/shop', { repository: shown, name: 'Shop' })).status).toBe(200);
    const elsewhere = await api('PATCH', '/projects/shop', { repository: `http://alice:***@127.0.0.1:${new URL(attacker.url).port}/remote.git` });
    expect(elsewhere.status, elsewhere.text).toBe(422);
    expect(elsewhere.json.error).toMatchObject({ code: 'secret_required', details: { field: 'repository' } });

    // The release manager tries to move the channel to their own server: refused, nothing sent there.
    const rm = await api('POST', '/users', { username: 'rita', role: 'release-manager' });
    const rmToken = (await api('POST', '/tokens', { name: 'rita', userId: rm.json.id })).json.token as string;
    const redirect = await api('PATCH', '/channels/releases', { config: { url: `${attacker.url}/steal` } }, rmToken);
    expect(redirect.status, redirect.text).toBe(422);
    expect(redirect.json.error).toMatchObject({ code: 'secret_required', details: { field: 'config.secret' } });
    const halfway = await api('PATCH', '/channels/releases', { config: { url: `${attacker.url}/steal`, secret: NEW_HOOK_SECRET } }, rmToken);
    expect(halfway.json.error).toMatchObject({ code: 'secret_required', details: { field: 'config.headers' } });
    const mailMove = await api('PATCH', '/channels/mail', { config: { host: 'localhost' } }, rmToken);
    expect(mailMove.json.error).toMatchObject({ code: 'secret_required', details: { field: 'config.auth.pass' } });
    const mailPort = await api('PATCH', '/channels/mail', { config: { port: smtp.port + 1, auth: { user: 'mailer', pass: 'set' } } }, rmToken);
    expect(mailPort.json.error).toMatchObject({ code: 'secret_required', details: { field: 'config.auth.pass' } });
    const executorMove = await api('PATCH', '/environments/staging', { targets: [{ key: 'web', executor: { type: 'webhook', url: `${attacker.url}/deploy` } }] });
    expect(executorMove.json.error).toMatchObject({ code: 'secret_required', details: { field: 'targets/0/executor/secret' } });
    expect((await api('POST', '/channels/releases/test', undefined, rmToken)).json.delivered).toBe(true);
    expect(attacker.requests).toHaveLength(0);

    // Re-entering the secrets (and dropping the header) is accepted: the new server gets only what was sent with the change.
    const moved = await api('PATCH', '/channels/releases', { config: { url: `${attacker.url}/steal`, secret: NEW_HOOK_SECRET, headers: {} } }, rmToken);
    expect(moved.status, moved.text).toBe(200);
    expect((await api('POST', '/channels/releases/test', undefined, rmToken)).json.delivered).toBe(true);
    expect(attacker.requests).toHaveLength(1);
    expect(attacker.requests[0]!.headers.authorization).toBeUndefined();

    // The clone's config has no credentials; the askpass helper's directory is the server's alone.
    const clones = fs.readdirSync(path.join(dataDir, 'repos'));
    expect(clones).toHaveLength(1);
    const origin = (await runGit([`--git-dir=${path.join(dataDir, 'repos', clones[0]!)}`, 'config', '--get', 'remote.origin.url'])).stdout.trim();
    expect(origin).toBe(git.url);
    expect(fs.statSync(path.join(dataDir, 'askpass')).mode & 0o777).toBe(0o700);
  });

  it('seals credentials stored in plaintext before 0012 at the next start, and scrubs the warm clone', async () => {
    await server!.stop();
    server = null;
    // As an older server left it: the password in the URL, and in the clone's config.
    const credentialed = git.url.replace('http://', `http://alice:${GIT_PASSWORD}@`);
    const db = await openDatabase({ dialect: 'sqlite', file: path.join(dataDir, 'slipway.db') });
    await db.db.updateTable('projects').set({ repository: credentialed, repository_credentials: null }).where('key', '=', 'shop').execute();
    await db.close();
    const clone = path.join(dataDir, 'repos', fs.readdirSync(path.join(dataDir, 'repos'))[0]!);
    await runGit([`--git-dir=${clone}`, 'config', 'remote.origin.url', credentialed]);

    await start();
    const project = await api('GET', '/projects/shop');
    expect(project.json.repository).toBe(git.url.replace('http://', 'http://alice:***@'));
    expect((await runGit([`--git-dir=${clone}`, 'config', '--get', 'remote.origin.url'])).stdout.trim()).toBe(git.url);
    // The sealed credentials work: a fetch and a release go through.
    await repo.commit('fix: second (SHOP-2)', { 'b.txt': 'b' });
    await repo.push('main');
    const release = await api('POST', '/projects/shop/releases', {});
    expect(release.status, release.text).toBe(201);
    expect(await repo.remoteGit('tag', '--list')).toContain(release.json.tag);
  });

  it('leaves no secret in any response, audit record, debug log line or file, and no file others can read', async () => {
    // Every audit record, page by page.
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/audit?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, page.text).toBe(200);
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(server!.app.log.level).toBe('debug');
    await server!.stop();
    server = null;

    const logText = log.join('');
    expect(logText).toContain('"level":30');
    expect(leaked(logText)).toEqual([]);
    expect(leaked(bodies.join('\n'))).toEqual([]);
    expect(bodies.some((b) => b.includes('"action":"project.updated"'))).toBe(true);

    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const file of ['slipway.db', 'slipway.db-wal', 'slipway.db-shm', 'secret.key'].map((f) => path.join(dataDir, f)).filter((f) => fs.existsSync(f))) {
      expect({ file, mode: (fs.statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    }
    for (const file of walk(dataDir)) {
      expect(readableByOthers(file, dataDir), file).toBe(false);
      if (fs.statSync(file).isFile()) expect({ file, leaked: leaked(fs.readFileSync(file).toString('latin1')) }).toEqual({ file, leaked: [] });
    }
  });
});
