import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Each test starts processes or embedded stores (initdb under WebAssembly): on a loaded
// 2-core machine one takes well over the suite's default 30 s.
vi.setConfig({ testTimeout: 120_000 });
import { runCli } from '../../src/cli/main.ts';
import { createIdentityService, verifyApiKey } from '../../src/identity/index.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLogger } from '../store/backends.ts';
import { authConfig } from '../identity/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let configFile: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/vigil.mjs <args>` with only this test's configuration in its environment. */
function vigil(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', VIGIL_CONFIG: configFile, ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/vigil.mjs'), ...args], { cwd: ROOT, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Opens the CLI's store in this process for a look, and closes it (releasing the lock). */
async function inspect<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const store = await createStore({ url: undefined, dataDir: path.join(dir, 'data') }, silentLogger);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-cli-'));
  configFile = path.join(dir, 'vigil.yaml');
  await writeFile(configFile, `store:\n  data_dir: ${JSON.stringify(path.join(dir, 'data'))}\n`);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The CLI in this process: same code path as bin/vigil.mjs, without a process start. */
async function inProcess(argv: readonly string[], input = '') {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: { VIGIL_CONFIG: configFile },
    stdout: (text) => (stdout += `${text}\n`),
    stderr: (text) => (stderr += `${text}\n`),
    readStdin: async () => input,
  });
  return { code, stdout, stderr };
}

describe('vigil users', () => {
  it('adds the first admin with a generated password, printed once, that logs in', async () => {
    expect(await inspect((store) => createIdentityService({ store, auth: authConfig(), sources: [], logger: silentLogger, announceBootstrap: false }).adminExists())).toBe(false);

    const run = await vigil(['users', 'add', 'ada', '--role', 'admin']);
    expect(run.code, run.stderr).toBe(0);
    const password = /Password \(shown once[^)]*\): (\S+)/.exec(run.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(run.stdout.split(password!).length).toBe(2);
    expect(run.stderr).not.toContain(password!);

    await inspect(async (store) => {
      const identity = createIdentityService({ store, auth: authConfig(), sources: [], logger: silentLogger, announceBootstrap: false });
      expect(await identity.adminExists()).toBe(true);
      expect(await identity.login('ada', password!, '127.0.0.1')).toMatchObject({ role: 'admin' });
      await identity.close();
    });
  });

  it('reads the password from stdin, refuses a duplicate, and lists users without their hashes', async () => {
    const added = await vigil(['users', 'add', 'bob', '--role', 'viewer', '--password-stdin'], { input: 'bob-from-stdin\n' });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).not.toContain('bob-from-stdin');
    expect(added.stdout).not.toContain('Password');

    const again = await inProcess(['users', 'add', 'bob', '--role', 'viewer', '--password-stdin'], 'whatever-else\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');

    const listed = await inProcess(['users', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const users = JSON.parse(listed.stdout) as { username: string; role: string }[];
    expect(users.map((u) => [u.username, u.role])).toEqual([
      ['ada', 'admin'],
      ['bob', 'viewer'],
    ]);
    expect(listed.stdout).not.toContain('scrypt$');

    await inspect(async (store) => {
      const identity = createIdentityService({ store, auth: authConfig(), sources: [], logger: silentLogger, announceBootstrap: false });
      expect(await identity.login('bob', 'bob-from-stdin', '127.0.0.1')).toMatchObject({ role: 'viewer' });
      await identity.close();
    });
  });
});

describe('vigil keys', () => {
  it('creates an admin key shown once, lists it by prefix only, and revokes it', async () => {
    const created = await vigil(['keys', 'create', '--name', 'ops', '--admin', '--scope', 'health:read']);
    expect(created.code, created.stderr).toBe(0);
    const key = /Key \(shown once[^)]*\): (vgl_\S+)/.exec(created.stdout)?.[1] as string;
    expect(key).toMatch(/^vgl_[a-z2-7]{12}_[0-9a-f]{64}$/);
    const id = key.split('_')[1] as string;

    const listed = await inProcess(['keys', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`vgl_${id}`);
    expect(listed.stdout).toMatch(/ops\s+admin\s+health:read,system:admin|ops\s+admin\s+system:admin,health:read/);
    expect(listed.stdout).not.toContain(key);

    expect(await inspect((store) => verifyApiKey(store, key))).toMatchObject({ role: 'admin' });
    const revoked = await inProcess(['keys', 'revoke', id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await inspect((store) => verifyApiKey(store, key))).toBeUndefined();
  });
});

describe('vigil through npm', () => {
  it('runs as `npm run vigil -- migrate` with the store already up to date', async () => {
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn('npm', ['run', '-s', 'vigil', '--', 'migrate'], {
        cwd: ROOT,
        env: { ...process.env, VIGIL_CONFIG: configFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Store is up to date.');
  });
});

describe('vigil errors', () => {
  it.each([
    ['no command', [], 2, 'no command given'],
    ['an unknown command', ['users', 'frobnicate'], 2, 'unknown command "users frobnicate"'],
    ['an unknown option', ['users', 'list', '--bogus'], 2, "Unknown option '--bogus'"],
    ['a missing role', ['users', 'add', 'carol'], 2, '--role is required'],
    ['an unknown role', ['users', 'add', 'carol', '--role', 'root'], 2, '--role must be one of viewer, operator, admin, owner'],
    ['a key without a name', ['keys', 'create'], 2, '--name is required'],
    ['a short password', ['users', 'add', 'carol', '--role', 'viewer', '--password-stdin'], 1, 'at least 8 characters'],
    ['revoking an unknown key', ['keys', 'revoke', 'nosuchkey000'], 1, 'no active key'],
    ['a missing configuration file', ['--config', '/nonexistent/vigil.yaml', 'users', 'list'], 1, 'does not exist'],
  ] as const)('exits with its code and a plain message for %s', async (_label, argv, code, message) => {
    const run = await inProcess(argv, 'short\n');
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('prints usage for --help and exits 0', async () => {
    const run = await inProcess(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('users add <username> --role <role>');
  });

  it('refuses to open the embedded store while another process (the server) holds it', async () => {
    const held = await createStore({ url: undefined, dataDir: path.join(dir, 'data') }, silentLogger);
    try {
      const run = await vigil(['users', 'list']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`in use by another Vigil (process ${process.pid})`);
    } finally {
      await held.close();
    }
  });
});

describe('vigil check', () => {
  async function check(yaml: string, env: Record<string, string> = {}) {
    const file = path.join(dir, `check-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    let stdout = '';
    let stderr = '';
    const code = await runCli({
      argv: ['check', '--config', file],
      env,
      stdout: (text) => (stdout += `${text}\n`),
      stderr: (text) => (stderr += `${text}\n`),
      readStdin: async () => '',
    });
    return { code, stdout, stderr, file };
  }

  it('exits 0 for a valid configuration and says what it would run', async () => {
    const run = await check(
      `server: { port: 9090 }\nstore: { data_dir: ${JSON.stringify(path.join(dir, 'unused'))} }\n` +
        `auth: { jwt: { secret: { env: CHECK_JWT } } }\nsources:\n  - { name: cache, kind: redis, url: "redis://127.0.0.1:6379" }\n`,
      { CHECK_JWT: 'a-secret-of-at-least-thirty-two-bytes-long' },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid (1 sources');
  });

  it('exits 2 and prints every problem naming its key, without starting anything', async () => {
    const run = await check(
      `server: { port: 99999 }\nauth: { jwt: { secret: { env: CHECK_UNSET_JWT } }, hasura_admin_secret: { env: CHECK_UNSET_HASURA } }\n` +
        `sources:\n  - { name: db, kind: postgress }\n  - { name: broker, kind: rabbitmq, interval: soon }\nbogus: 1\n`,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    for (const key of [
      'server.port must be an integer from 1 to 65535',
      'auth.jwt.secret: environment variable CHECK_UNSET_JWT is not set',
      'auth.hasura_admin_secret: environment variable CHECK_UNSET_HASURA is not set',
      'bogus is not a known key',
    ]) {
      expect(run.stderr).toContain(key);
    }
    // Sources the server would start with as `failed` are problems for a check: named too.
    const second = await check(`sources:\n  - { name: db, kind: postgress }\n  - { name: broker, kind: rabbitmq, interval: soon }\n`);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('sources[0] (db).kind "postgress" is not a known kind');
    expect(second.stderr).toContain('sources[1] (broker).interval must be a duration');
  });

  it('exits 2 for a file that does not exist', async () => {
    let stderr = '';
    const code = await runCli({ argv: ['check', '--config', path.join(dir, 'missing.yaml')], env: {}, stdout: () => undefined, stderr: (t) => (stderr += t), readStdin: async () => '' });
    expect(code).toBe(2);
    expect(stderr).toContain('the file does not exist');
  });
});

describe('secrets a command does not need', () => {
  it('lets users and keys run while the JWT and Hasura secrets the server reads are unset', async () => {
    const data = path.join(dir, 'secretless');
    const file = path.join(dir, 'secretless.yaml');
    await writeFile(
      file,
      `store: { data_dir: ${JSON.stringify(data)} }\n` +
        `auth: { jwt: { secret: { env: CLI_UNSET_JWT } }, hasura_admin_secret: { file: ${JSON.stringify(path.join(dir, 'no-such-secret'))} } }\n`,
    );
    const io = (argv: readonly string[]) => {
      let stdout = '';
      let stderr = '';
      return runCli({ argv, env: {}, stdout: (t) => (stdout += `${t}\n`), stderr: (t) => (stderr += `${t}\n`), readStdin: async () => '' }).then((code) => ({ code, stdout, stderr }));
    };
    const added = await io(['--config', file, 'users', 'add', 'grace', '--role', 'admin']);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Created user grace (role admin).');
    const keys = await io(['--config', file, 'keys', 'create', '--name', 'ci', '--admin']);
    expect(keys.code).toBe(0);
    // The server (and `vigil check`) still refuse the same file, naming both secrets.
    const checked = await io(['--config', file, 'check']);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toContain('auth.jwt.secret: environment variable CLI_UNSET_JWT is not set');
    expect(checked.stderr).toContain('auth.hasura_admin_secret: secret file');
  });

  it('still refuses when the store itself needs a secret that is not set', async () => {
    const file = path.join(dir, 'store-secret.yaml');
    await writeFile(file, `store: { url: { env: CLI_UNSET_STORE_URL } }\n`);
    let stderr = '';
    const code = await runCli({ argv: ['--config', file, 'users', 'list'], env: {}, stdout: () => undefined, stderr: (t) => (stderr += t), readStdin: async () => '' });
    expect(code).toBe(1);
    expect(stderr).toContain('store.url: environment variable CLI_UNSET_STORE_URL is not set');
  });
});
