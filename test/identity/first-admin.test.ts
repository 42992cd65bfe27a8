// The first admin while Vigil runs on the embedded store: the CLI cannot open the data
// directory the server holds, so the newcomer takes the one-time setup token from the data
// directory, creates the admin with POST /v1/auth/setup, logs in and uses the session. The
// token is never logged, works once, and its file is gone afterwards.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { SETUP_TOKEN_FILE } from '../../src/identity/index.ts';
import { startVigil, type RunningVigil } from '../../src/main.ts';
import { captureLogger } from '../support/app.ts';
import { freePort } from '../support/ports.ts';

const work = mkdtempSync(join(tmpdir(), 'vigil-first-admin-'));
const dataDir = join(work, 'data');
const tokenFile = join(dataDir, SETUP_TOKEN_FILE);
const ADMIN = { username: 'first-admin', password: 'first admin password' };
const { logger, lines } = captureLogger('info');
let vigil: RunningVigil;
let configFile: string;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function setup(headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(`${vigil.url}/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  configFile = join(work, 'vigil.yaml');
  const port = await freePort();
  writeFileSync(
    configFile,
    `server:\n  host: 127.0.0.1\n  port: ${port}\n  shutdown_delay: 0s\nstore:\n  data_dir: ${JSON.stringify(dataDir)}\nsources:\n  - { name: host, kind: resources, critical: false }\n`,
  );
  vigil = await startVigil({ argv: ['--config', configFile], env: {}, logger });
}, 120_000);

afterAll(async () => {
  await vigil?.shutdown('test', { skipDelay: true });
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the first admin while Vigil runs on the embedded store', () => {
  it('is created with the setup token from the data directory, then logs in and reads the admin API', { timeout: 120_000 }, async () => {
    await waitFor(() => existsSync(tokenFile), `${tokenFile}`);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^vst_[A-Za-z0-9_-]{40,}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // The log says where the token is and what to do, never the token itself.
    const log = lines().join('');
    expect(log).toContain(tokenFile);
    expect(log).toContain('/v1/auth/setup');
    expect(log).not.toContain(token);

    // The CLI cannot help while the server holds the directory: that is why the token exists.
    const stderr: string[] = [];
    const cli = await runCli({
      argv: ['--config', configFile, 'users', 'add', 'cli-admin', '--role', 'admin'],
      env: {},
      stdout: () => undefined,
      stderr: (text) => stderr.push(text),
      readStdin: async () => '',
    });
    expect(cli).toBe(1);
    expect(stderr.join('\n')).toMatch(/in use by another Vigil/);
    expect(stderr.join('\n')).toContain(`${tokenFile} as X-Vigil-Setup-Token`);

    expect((await setup({}, ADMIN)).status).toBe(401);
    expect((await setup({ 'x-vigil-setup-token': `vst_${'x'.repeat(43)}` }, ADMIN)).status).toBe(401);
    // A refused password leaves the token usable.
    const weak = await setup({ 'x-vigil-setup-token': token }, { username: ADMIN.username, password: 'short1' });
    expect(weak.status).toBe(400);

    const created = await setup({ 'x-vigil-setup-token': token }, ADMIN);
    const createdText = await created.text();
    expect(created.status, createdText).toBe(201);
    expect(JSON.parse(createdText)).toEqual({ username: ADMIN.username, role: 'admin' });
    expect(createdText).not.toContain(ADMIN.password);

    // Spent: the file goes, the same token opens nothing any more.
    await waitFor(() => !existsSync(tokenFile), 'the token file to be removed');
    expect((await setup({ 'x-vigil-setup-token': token }, { username: 'second-admin', password: ADMIN.password })).status).toBe(401);

    // Used: the new admin logs in and reads the admin-only health view with its session.
    const login = await fetch(`${vigil.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^psession=./);
    const admin = await fetch(`${vigil.url}/v1/admin/health`, { headers: { cookie } });
    expect(admin.status).toBe(200);
    expect(lines().join('')).not.toContain(token);
  });

  it('is not offered again once an admin exists: a restart removes a stale token file and issues none', { timeout: 120_000 }, async () => {
    await vigil.shutdown('restart', { skipDelay: true });
    // As if Vigil had stopped with its token unused and the admin had come from the CLI since.
    writeFileSync(tokenFile, `vst_${'s'.repeat(43)}\n`, { mode: 0o600 });
    const before = lines().length;
    vigil = await startVigil({ argv: ['--config', configFile], env: {}, logger });
    await waitFor(() => !existsSync(tokenFile), 'the stale token file to be removed');
    expect(lines().slice(before).join('')).not.toContain('/v1/auth/setup');
    expect((await setup({ 'x-vigil-setup-token': `vst_${'s'.repeat(43)}` }, { username: 'late', password: ADMIN.password })).status).toBe(401);
  });
});
