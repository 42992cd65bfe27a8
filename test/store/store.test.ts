import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Each test starts processes or embedded stores (initdb under WebAssembly): on a loaded
// 2-core machine one takes well over the suite's default 30 s.
vi.setConfig({ testTimeout: 120_000 });
import { createStore, shippedMigrations, StoreError, UNIQUE_VIOLATION } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { BACKENDS, freshBackend, silentLogger, type BackendFixture } from './backends.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function open(fixture: BackendFixture, options?: Parameters<typeof createStore>[2]): Promise<Store> {
  const store = await createStore(fixture.config, silentLogger, options);
  cleanups.push(() => store.close());
  return store;
}

async function fixtureFor(name: (typeof BACKENDS)[number], reopenable = false): Promise<BackendFixture> {
  const fixture = await freshBackend(name, { reopenable });
  cleanups.unshift(() => fixture.cleanup()); // runs last, after the stores are closed
  return fixture;
}

describe.each(BACKENDS)('the %s store', (backend) => {
  it('applies every shipped migration at start-up and records each one', async () => {
    const store = await open(await fixtureFor(backend));
    const shipped = (await shippedMigrations()).map((m) => m.filename);
    expect(shipped.length).toBeGreaterThan(0);
    expect(store.backend).toBe(backend);

    const status = await store.migrationStatus();
    expect(status.table_exists).toBe(true);
    expect(status.required).toEqual([]);
    expect(status.applied.map((row) => row.filename)).toEqual(shipped);
    for (const row of status.applied) expect(Number.isNaN(Date.parse(row.applied_at))).toBe(false);

    const tables = await store.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['api_keys', 'sessions', 'users', 'vigil_migrations']));
  });

  it('applies nothing again when restarted on the same data and keeps the original records', async () => {
    const fixture = await fixtureFor(backend, true);
    const first = await createStore(fixture.config, silentLogger);
    await first.query(`INSERT INTO users (id, username, password_hash, role) VALUES ('u1', 'kept', 'x', 'viewer')`);
    const before = await first.migrationStatus();
    await first.close();

    const second = await open(fixture);
    const after = await second.migrationStatus();
    expect(after).toEqual(before);
    expect(await second.query('SELECT username FROM users')).toEqual([{ username: 'kept' }]);
  });

  it('reports the migrations table missing and every migration required before migrating', async () => {
    const store = await open(await fixtureFor(backend), { skipMigrations: true });
    const shipped = (await shippedMigrations()).map((m) => m.filename);
    expect(await store.migrationStatus()).toEqual({ table_exists: false, applied: [], required: shipped });
  });

  it('runs the same parameterised SQL with the same results', async () => {
    const store = await open(await fixtureFor(backend));
    const created = new Date('2026-01-02T03:04:05.678Z');
    await store.query(`INSERT INTO users (id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)`, [
      'u1',
      'ada',
      'hash',
      'admin',
      created,
    ]);
    await store.query(`INSERT INTO api_keys (id, prefix, hash, name, scopes, role, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      'k1',
      'vgl_k1',
      'h',
      'ci',
      ['health:read', 'status:read'],
      'viewer',
      'u1',
    ]);
    const [row] = await store.query<{ username: string; created_at: Date; disabled: boolean; scopes: string[]; keys: number }>(
      `SELECT u.username, u.created_at, u.disabled, k.scopes, count(*) OVER ()::int AS keys
         FROM users u JOIN api_keys k ON k.user_id = u.id WHERE u.username = $1`,
      ['ada'],
    );
    expect(row).toEqual({ username: 'ada', created_at: created, disabled: false, scopes: ['health:read', 'status:read'], keys: 1 });
    expect(await store.query('SELECT 1 AS one WHERE $1::text IS NULL', [null])).toEqual([{ one: 1 }]);
  });

  it('commits a transaction that succeeds and rolls back one that throws', async () => {
    const store = await open(await fixtureFor(backend));
    const committed = await store.transaction(async (query) => {
      await query(`INSERT INTO users (id, username, password_hash, role) VALUES ('a', 'a', 'x', 'viewer')`);
      return 'done';
    });
    expect(committed).toBe('done');
    await expect(
      store.transaction(async (query) => {
        await query(`INSERT INTO users (id, username, password_hash, role) VALUES ('b', 'b', 'x', 'viewer')`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.query('SELECT id FROM users ORDER BY id')).toEqual([{ id: 'a' }]);
  });

  it('reports a unique violation with its SQLSTATE so callers can tell duplicates apart', async () => {
    const store = await open(await fixtureFor(backend));
    await store.query(`INSERT INTO users (id, username, password_hash, role) VALUES ('a', 'same', 'x', 'viewer')`);
    const error = await store
      .query(`INSERT INTO users (id, username, password_hash, role) VALUES ('b', 'same', 'x', 'viewer')`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(UNIQUE_VIOLATION);
  });
});

describe('the PostgreSQL store', () => {
  it('applies each migration exactly once when several instances start at the same time', async () => {
    const fixture = await fixtureFor('postgres');
    const stores = await Promise.all([1, 2, 3, 4].map(() => open(fixture)));
    const shipped = (await shippedMigrations()).map((m) => m.filename);
    for (const store of stores) {
      const status = await store.migrationStatus();
      expect(status.applied.map((row) => row.filename)).toEqual(shipped);
    }
    const users = await stores[0]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'users'`);
    expect(users).toEqual([{ n: 1 }]);
  });

  it('never puts the connection password in its error messages', async () => {
    const url = 'postgres://vigil:SuperSecret123@127.0.0.1:1/nowhere';
    const error = await createStore({ url, dataDir: '' }, silentLogger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/store .*cannot connect/);
    expect((error as Error).message).not.toContain('SuperSecret123');
  });
});

describe('the embedded store', () => {
  it('takes over the lock a dead process left behind and releases it on close', async () => {
    const fixture = await fixtureFor('pglite', true);
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.once('exit', resolve));
    const lock = path.join(fixture.config.dataDir, 'vigil.lock');
    await writeFile(lock, `${dead.pid}\n`);
    const store = await createStore(fixture.config, silentLogger);
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    const second = await createStore(fixture.config, silentLogger).catch((e: unknown) => e);
    expect((second as Error).message).toContain(`in use by another Vigil (process ${process.pid})`);
    await store.close();
    await expect(readFile(lock, 'utf8')).rejects.toThrow();
  });

  it('initialises again a data directory whose first copy was cut short (files, no PG_VERSION)', async () => {
    const fixture = await fixtureFor('pglite', true);
    // A control file copied half-way: PostgreSQL would refuse it were it kept.
    await mkdir(path.join(fixture.config.dataDir, 'global'), { recursive: true });
    await writeFile(path.join(fixture.config.dataDir, 'global', 'pg_control'), 'cut short');
    const store = await open(fixture);
    expect((await store.migrationStatus()).required).toEqual([]);
    await expect(readFile(path.join(fixture.config.dataDir, 'PG_VERSION'), 'utf8')).resolves.toMatch(/^\d+/);
  });

  it('initialises a new data directory when the template cache cannot be trusted', async () => {
    const fixture = await fixtureFor('pglite', true);
    const otherTmp = await mkdtemp(path.join(tmpdir(), 'vigil-tmp-'));
    const previous = process.env.TMPDIR;
    cleanups.unshift(async () => {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await rm(otherTmp, { recursive: true, force: true });
    });
    // A cache directory others may write to is never used (it could hold a planted database).
    const cache = path.join(otherTmp, `vigil-pglite-${process.getuid?.() ?? 0}`);
    await mkdir(cache);
    await chmod(cache, 0o777);
    process.env.TMPDIR = otherTmp;
    const store = await open(fixture);
    expect((await store.migrationStatus()).required).toEqual([]);
    await expect(readFile(path.join(fixture.config.dataDir, 'PG_VERSION'), 'utf8')).resolves.toMatch(/^\d+/);
    expect(await readdir(cache)).toEqual([]);
  });

  it('serves the same SQL when V8 may recompile it with its optimising compiler (store.embedded_tier_up)', async () => {
    const fixture = await fixtureFor('pglite');
    const store = await open({ ...fixture, config: { ...fixture.config, embeddedTierUp: true } });
    expect((await store.migrationStatus()).required).toEqual([]);
    expect(await store.query('SELECT sum(n)::int AS total FROM generate_series(1, 1000) AS n')).toEqual([{ total: 500500 }]);
  });
});
