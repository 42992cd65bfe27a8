// Faults through the health engine, each on a dependency this file owns: a private Redis that
// dies and comes back, private servers (and a MariaDB user) with a password the source gets
// wrong, a TCP listener that never answers, and configurations that cannot work.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, type SourceDefinition } from '../../src/checks/types.ts';
import { createHealthEngine } from '../../src/engine/engine.ts';
import type { HealthEngine } from '../../src/engine/types.ts';
import { createPrivateDatabase } from '../support/pg-database.ts';
import { captureLogger, testSource, type CapturedLogger, type TestSource } from '../support/app.ts';
import { startNats, startPostgres, startRedis, type PrivateProcess } from '../support/processes.ts';
import { startSilentTcpServer, type SilentTcpServer } from '../support/servers/silent-tcp.ts';

const SHARED_MYSQL_URL = process.env.VIGIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const engines: HealthEngine[] = [];
function engineOver(sources: readonly TestSource[], invalidSources: { definition: SourceDefinition; reason: string }[] = []) {
  const log: CapturedLogger = captureLogger();
  const engine = createHealthEngine({ sources: sources.map(testSource), invalidSources, logger: log.logger });
  engines.push(engine);
  return { engine, log };
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

describe('a private Redis that dies', () => {
  let redis: PrivateProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('goes error while it is down and comes back ok once restarted on the same port', async () => {
    const { engine } = engineOver([{ name: 'cache', kind: 'redis', url: `redis://127.0.0.1:${redis.port}`, intervalMs: 200, timeoutMs: 500 }]);
    engine.start();
    await engine.ready();
    expect(engine.source('cache')?.latest?.status).toBe('ok');

    await redis.kill();
    await expect.poll(() => engine.source('cache')?.latest?.status, { timeout: 5_000 }).toBe('error');
    expect(engine.source('cache')?.latest?.error).toMatch(/^redis: (connect|PING) failed: /);

    await redis.restart();
    await expect.poll(() => engine.source('cache')?.latest?.status, { timeout: 5_000 }).toBe('ok');
    expect(engine.source('cache')?.latest?.details).toMatchObject({ uptime_seconds: expect.any(Number), total_keys: 0 });
  });
});

describe('a wrong password', () => {
  const RIGHT = `right-${randomBytes(6).toString('hex')}`;
  const WRONG = `wrong-${randomBytes(6).toString('hex')}`;
  const mysqlUser = `vigil_f_${randomBytes(4).toString('hex')}`;
  let redis: PrivateProcess;
  let postgres: PrivateProcess;
  let nats: PrivateProcess;
  let admin: mysql.Connection;

  beforeAll(async () => {
    [redis, postgres, nats] = await Promise.all([
      startRedis({ password: RIGHT }),
      startPostgres({ password: RIGHT }),
      startNats({ jetstream: false, user: 'vigil', password: RIGHT }),
    ]);
    admin = await mysql.createConnection(SHARED_MYSQL_URL);
    await admin.query(`CREATE USER '${mysqlUser}'@'%' IDENTIFIED BY '${RIGHT}'`);
  });
  afterAll(async () => {
    await admin?.query(`DROP USER IF EXISTS '${mysqlUser}'@'%'`).catch(() => undefined);
    await admin?.end();
    await Promise.all([redis?.stop(), postgres?.stop(), nats?.stop()]);
  });

  const cases: [string, () => TestSource, () => TestSource, RegExp][] = [
    [
      'redis',
      () => ({ name: 'cache', kind: 'redis', url: `redis://:${WRONG}@127.0.0.1:${redis.port}` }),
      () => ({ name: 'cache', kind: 'redis', host: '127.0.0.1', port: redis.port, password: RIGHT }),
      /^redis: connect failed: WRONGPASS/,
    ],
    [
      'postgres',
      () => ({ name: 'db', kind: 'postgres', host: '127.0.0.1', port: postgres.port, user: 'postgres', password: WRONG, database: 'postgres' }),
      () => ({ name: 'db', kind: 'postgres', url: `postgres://postgres:${RIGHT}@127.0.0.1:${postgres.port}/postgres` }),
      /^postgres: connect failed: password authentication failed for user "postgres"/,
    ],
    [
      'mysql',
      () => ({ name: 'db', kind: 'mysql', url: `mysql://${mysqlUser}:${WRONG}@127.0.0.1:3306/` }),
      () => ({ name: 'db', kind: 'mysql', host: '127.0.0.1', port: 3306, user: mysqlUser, password: RIGHT }),
      /^mysql: connect failed: Access denied for user/,
    ],
    [
      'nats',
      () => ({ name: 'bus', kind: 'nats', url: `nats://vigil:${WRONG}@127.0.0.1:${nats.port}` }),
      () => ({ name: 'bus', kind: 'nats', url: `nats://127.0.0.1:${nats.port}`, user: 'vigil', password: RIGHT }),
      /^nats: connect failed: Authorization Violation/,
    ],
  ];

  it.each(cases)('gives error for %s with the password absent from every output, and the right one works', async (_kind, wrong, right, message) => {
    const { engine, log } = engineOver([wrong()]);
    engine.start();
    await engine.ready();
    const [state] = engine.sources();
    expect(state?.latest?.status).toBe('error');
    expect(state?.latest?.error).toMatch(message);

    const outputs = JSON.stringify([engine.sources().map((s) => ({ ...s, definition: undefined })), log.lines()]);
    expect(log.lines().length).toBeGreaterThan(0);
    expect(outputs).not.toContain(WRONG);
    expect(outputs).not.toContain(RIGHT);

    const good = engineOver([right()]);
    const result = await good.engine.runNow(right().name);
    expect(result.status).toBe('ok');
  });
});

describe('a dependency that accepts connections and never answers', () => {
  let silent: SilentTcpServer;
  beforeAll(async () => {
    silent = await startSilentTcpServer();
  });
  afterAll(() => silent?.close());

  const TIMEOUT_MS = 600;
  const MARGIN_MS = 400;
  it.each([
    ['postgres', () => ({ url: `postgres://postgres@127.0.0.1:${silent.port}/test` })],
    ['mysql', () => ({ url: `mysql://root@127.0.0.1:${silent.port}/test` })],
    ['redis', () => ({ url: `redis://127.0.0.1:${silent.port}` })],
    ['rabbitmq', () => ({ url: `amqp://guest:guest@127.0.0.1:${silent.port}` })],
    ['nats', () => ({ url: `nats://127.0.0.1:${silent.port}` })],
  ])('gives timeout for %s within the timeout plus a small margin, and leaves no socket open', async (kind, options) => {
    const acceptedBefore = silent.accepted();
    const { engine } = engineOver([{ name: 'hung', kind, timeoutMs: TIMEOUT_MS, ...options() }]);
    const started = performance.now();
    const result = await engine.runNow('hung');
    const elapsed = performance.now() - started;

    expect(result.status).toBe('timeout');
    expect(result.error).toBe(`${kind}: no answer within ${TIMEOUT_MS} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(silent.accepted()).toBeGreaterThan(acceptedBefore);
    // The deadline destroyed the probe's socket rather than leaving it to the server.
    await expect.poll(() => silent.open(), { timeout: 2_000 }).toBe(0);
  });
});

describe('a dependency that stops answering on an open connection', () => {
  it('gives timeout for a frozen Redis, and ok again once it thaws', async () => {
    const redis = await startRedis();
    try {
      const { engine } = engineOver([{ name: 'cache', kind: 'redis', url: `redis://127.0.0.1:${redis.port}`, timeoutMs: 500 }]);
      expect((await engine.runNow('cache')).status).toBe('ok');

      redis.freeze();
      const started = performance.now();
      const frozen = await engine.runNow('cache');
      expect(frozen.status).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(500 + 400);

      redis.thaw();
      const thawed = await engine.runNow('cache');
      expect(thawed.status).toBe('ok');
      // The stuck connection was dropped at the deadline (the thawed server reaps it as it
      // catches up): only the rebuilt one remains.
      await expect.poll(async () => detailsOf(await engine.runNow('cache'), 'redis')?.connected_clients, { timeout: 3_000 }).toBe(1);
    } finally {
      redis.thaw();
      await redis.stop();
    }
  });

  it('gives timeout for a PostgreSQL test query that outlasts the timeout, and the backend does not keep running it', async () => {
    const db = await createPrivateDatabase('vigil_faults');
    try {
      const { engine } = engineOver([{ name: 'db', kind: 'postgres', url: db.url, query: 'SELECT pg_sleep(30)', timeoutMs: 500 }]);
      const started = performance.now();
      const result = await engine.runNow('db');
      expect(result.status, result.error).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(500 + 400);
      const sleeping = async (): Promise<number> => {
        const [row] = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'vigil'",
          [db.name],
        );
        return row?.n ?? -1;
      };
      await expect.poll(sleeping, { timeout: 3_000 }).toBe(0);
    } finally {
      await db.drop();
    }
  });
});

describe('a configuration that cannot work', () => {
  it('is failed with a message that says what to fix, while the other sources keep working', async () => {
    const { engine } = engineOver(
      [
        { name: 'bad-url', kind: 'redis', url: 'redis://:pw@[not-a-host' },
        { name: 'no-host', kind: 'postgres', query: 'SELECT 1' },
        { name: 'no-bucket', kind: 'nats', url: 'nats://127.0.0.1:4222', jobs: { dlq_stream: 'DLQ' } },
        { name: 'bad-queues', kind: 'rabbitmq', url: 'amqp://127.0.0.1', queues: 'jobs' },
        { name: 'bad-pool', kind: 'mysql', url: SHARED_MYSQL_URL, pool_max: 'many' },
        { name: 'good', kind: 'redis', url: 'redis://127.0.0.1:6379' },
      ],
      [{ definition: testSource({ name: 'unloadable', kind: 'postgres' }), reason: 'source "unloadable": secret POSTGRES_PASSWORD is not set' }],
    );
    engine.start();
    await engine.ready();
    await expect.poll(() => engine.source('good')?.latest?.status).toBe('ok');
    const status = Object.fromEntries(engine.sources().map((s) => [s.definition.name, [s.latest?.status, s.latest?.error]]));
    expect(status).toEqual({
      'bad-url': ['failed', 'source "bad-url" (redis): option "url" must be a valid URL (redis:// or rediss://...)'],
      'no-host': ['failed', 'source "no-host" (postgres): option "url" (or "host") must be set'],
      'no-bucket': ['failed', 'source "no-bucket" (nats): option "jobs.bucket" must be set (a non-empty string)'],
      'bad-queues': ['failed', 'source "bad-queues" (rabbitmq): option "queues" must be a list of strings'],
      'bad-pool': ['failed', 'source "bad-pool" (mysql): option "pool_max" must be a number'],
      good: ['ok', undefined],
      unloadable: ['failed', 'source "unloadable": secret POSTGRES_PASSWORD is not set'],
    });
  });
});
