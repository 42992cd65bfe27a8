import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCheck } from '../../src/checks/postgres.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { sourceDefinition } from '../support/source-states.ts';

const pgSource = checkSources('db', 'postgres', createPostgresCheck);

describe('the postgres check', () => {
  let db: PrivateDatabase;
  beforeAll(async () => {
    db = await createPrivateDatabase('vigil_pgcheck');
    await db.query('CREATE TABLE items (id serial PRIMARY KEY, label text)');
    await db.query("INSERT INTO items (label) VALUES ('a'), ('b'), ('c')");
  });
  afterAll(() => db?.drop());

  async function vigilConnections(): Promise<number> {
    const [row] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'vigil'",
      [db.name],
    );
    return row?.n ?? -1;
  }

  it('runs the test query and reports its first row, its latency, the server version and the pool', async () => {
    const { run } = pgSource({ url: db.url, query: 'SELECT count(*) AS count, max(label) AS last FROM items' });
    const [version] = await db.query<{ server_version: string }>('SHOW server_version');

    const first = await run();
    expect(first.status).toBe('ok');
    expect(first.details).toMatchObject({
      server_version: version?.server_version,
      first_row: { count: 3, last: 'c' },
      pool: { size: 2, total: 1, checked_in: 1, checked_out: 0, waiting: 0 },
    });
    const queryLatency = first.details?.['query_latency_ms'] as number;
    expect(queryLatency).toBeGreaterThan(0);
    expect(queryLatency).toBeLessThanOrEqual(first.latencyMs);

    await db.query("INSERT INTO items (label) VALUES ('d')");
    const second = await run();
    expect(second.details?.['first_row']).toEqual({ count: 4, last: 'd' });
    // The pool is long-lived: the second probe reused the first one's connection.
    expect(await vigilConnections()).toBe(1);
  });

  it('takes host, port, user and database as fields and runs SELECT 1 by default', async () => {
    const url = new URL(db.url);
    const { run } = pgSource({ host: url.hostname, port: Number(url.port), user: 'postgres', database: db.name, pool_max: 5 });
    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details).toMatchObject({ first_row: { '?column?': 1 }, pool: { size: 5, total: 1 } });
  });

  it('reports a test query that fails as an error naming the phase, without details', async () => {
    const broken = pgSource({ url: db.url, query: 'SELECT * FROM no_such_table' });
    const result = await broken.run();
    expect(result.status).toBe('error');
    expect(result.error).toBe('postgres: query failed: relation "no_such_table" does not exist');
    expect(result.details).toBeUndefined();
  });

  it('replaces a connection the server terminated, without a failed probe', async () => {
    const { run } = pgSource({ url: db.url, query: 'SELECT pg_backend_pid() AS pid' });
    const first = await run();
    const pid = (first.details?.['first_row'] as { pid: number }).pid;
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    await expect.poll(vigilConnections).toBe(0);

    const second = await run();
    expect(second.status).toBe('ok');
    expect((second.details?.['first_row'] as { pid: number }).pid).not.toBe(pid);
  });

  it('answers ok when the server ended its idle connection just before the run (tried once more, on a new one)', async () => {
    const { run } = pgSource({ url: db.url, query: 'SELECT pg_backend_pid() AS pid' });
    for (let round = 0; round < 5; round += 1) {
      const pid = ((await run()).details?.['first_row'] as { pid: number }).pid;
      // No wait for the pool to notice: the run may find the dead connection still in the pool.
      await db.query('SELECT pg_terminate_backend($1)', [pid]);
      const next = await run();
      expect(next.status, next.error).toBe('ok');
      expect((next.details?.['first_row'] as { pid: number }).pid).not.toBe(pid);
    }
  });

  it('closes its pool on close(), and close() twice is harmless', async () => {
    const { check, run } = pgSource({ url: db.url });
    expect((await run()).status).toBe('ok');
    expect(await vigilConnections()).toBe(1);
    await check.close();
    await check.close();
    await expect.poll(vigilConnections, { timeout: 5_000 }).toBe(0);
  });

  it.each([
    ['an unparseable URL', { url: 'not a url' }, 'option "url" must be a valid URL'],
    ['a URL of another scheme', { url: 'mysql://127.0.0.1/test' }, 'option "url" must be a URL starting with postgres://'],
    ['neither url nor host', { query: 'SELECT 1' }, 'option "url" (or "host") must be set'],
    ['both url and host', { url: 'postgres://127.0.0.1/test', host: '127.0.0.1' }, 'set either option "url" or options "host"/"port"'],
    ['a port that is not a number', { host: '127.0.0.1', port: 'five' }, 'option "port" must be a number'],
    ['a port out of range', { host: '127.0.0.1', port: 70_000 }, 'option "port" must be a whole number from 1 to 65535'],
    ['a pool of zero', { url: 'postgres://127.0.0.1/test', pool_max: 0 }, 'option "pool_max" must be a whole number from 1 to 100'],
    ['an empty test query', { url: 'postgres://127.0.0.1/test', query: ' ' }, 'option "query" must not be empty'],
  ])('refuses %s with a CheckConfigError naming the key', (_case, options, message) => {
    const definition = { ...sourceDefinition('db', 'postgres'), options };
    expect(() => createPostgresCheck(definition)).toThrow(CheckConfigError);
    expect(() => createPostgresCheck(definition)).toThrow(message);
  });
});
