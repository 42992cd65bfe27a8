// A password rotated (or revoked) on the server shows within `max_connection_age` + interval:
// each source rebuilds its long-lived connection at least that often, so it re-authenticates
// with what it was configured with. Without that, an old, already-authenticated connection
// keeps the source `ok` for as long as it lives. Private redis-server and PostgreSQL (this
// file changes their passwords); on the shared MariaDB only a user of this file's own.
//
// The time check is a bound of correctness, not a speed target: JITTER_MS covers event-loop
// and timer delay on a loaded 2-core machine, and one run's own connect attempt.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCheck } from '../../src/checks/redis.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { createHealthEngine } from '../../src/engine/engine.ts';
import type { HealthEngine } from '../../src/engine/types.ts';
import { captureLogger, testSource, type CapturedLogger, type TestSource } from '../support/app.ts';
import { startNats, startPostgres, startRedis, type PrivateProcess } from '../support/processes.ts';

const SHARED_MYSQL_URL = process.env.VIGIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const MAX_AGE_MS = 1_500;
const INTERVAL_MS = 300;
/** Timer and event-loop delay allowed on a loaded machine, plus the failing run itself. */
const JITTER_MS = 2_000;

const OLD = `old-${randomBytes(6).toString('hex')}`;
const NEW = `new-${randomBytes(6).toString('hex')}`;

const engines: HealthEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

async function watched(source: TestSource): Promise<{ engine: HealthEngine; log: CapturedLogger }> {
  const log = captureLogger();
  const definition = testSource({ intervalMs: INTERVAL_MS, timeoutMs: 1_000, max_connection_age: `${MAX_AGE_MS}ms`, ...source });
  const engine = createHealthEngine({ sources: [definition], logger: log.logger });
  engines.push(engine);
  engine.start();
  await engine.ready();
  expect(engine.source(source.name)?.latest?.status).toBe('ok');
  return { engine, log };
}

/** Rotates the password with `rotate`, then measures how long the source stays `ok`. */
async function detectRotation(engine: HealthEngine, name: string, rotate: () => Promise<void>): Promise<number> {
  await rotate();
  const rotatedAt = performance.now();
  // The old connection is still authenticated: right after the change the source is still ok.
  expect((await engine.runNow(name)).status).toBe('ok');
  await expect
    .poll(() => engine.source(name)?.latest?.status, { timeout: MAX_AGE_MS + INTERVAL_MS + JITTER_MS, interval: 20 })
    .toBe('error');
  return performance.now() - rotatedAt;
}

function expectNoPassword(engine: HealthEngine, log: CapturedLogger): void {
  const outputs = JSON.stringify([engine.sources().map((s) => s.latest), log.lines()]);
  expect(outputs).not.toContain(OLD);
  expect(outputs).not.toContain(NEW);
}

describe('a password rotated on the server', () => {
  let redis: PrivateProcess;
  let postgres: PrivateProcess;
  let mysqlAdmin: mysql.Connection;
  const mysqlUser = `vigil_rot_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis({ password: OLD }), startPostgres({ password: OLD })]);
    mysqlAdmin = await mysql.createConnection(SHARED_MYSQL_URL);
    await mysqlAdmin.query(`CREATE USER '${mysqlUser}'@'%' IDENTIFIED BY '${OLD}'`);
  });
  afterAll(async () => {
    await mysqlAdmin?.query(`DROP USER IF EXISTS '${mysqlUser}'@'%'`).catch(() => undefined);
    await mysqlAdmin?.end();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  it('shows on redis (CONFIG SET requirepass) within max_connection_age + interval', async () => {
    const { engine, log } = await watched({ name: 'cache', kind: 'redis', host: '127.0.0.1', port: redis.port, password: OLD });
    const admin = new Redis({ host: '127.0.0.1', port: redis.port, password: OLD, lazyConnect: true });
    try {
      await admin.connect();
      const detection = await detectRotation(engine, 'cache', async () => {
        await admin.config('SET', 'requirepass', NEW);
      });
      expect(detection).toBeLessThanOrEqual(MAX_AGE_MS + INTERVAL_MS + JITTER_MS);
      expect(engine.source('cache')?.latest?.error).toMatch(/^redis: connect failed: WRONGPASS/);
      expectNoPassword(engine, log);
    } finally {
      admin.disconnect();
    }
  });

  it('shows on PostgreSQL (ALTER ROLE ... PASSWORD) within max_connection_age + interval', async () => {
    const { engine, log } = await watched({
      name: 'db',
      kind: 'postgres',
      url: `postgres://postgres@127.0.0.1:${postgres.port}/postgres`,
      password: OLD,
    });
    // Over the Unix socket, which trusts the local superuser whatever its password.
    const admin = new pg.Client({ host: postgres.dir, port: postgres.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      const detection = await detectRotation(engine, 'db', async () => {
        await admin.query(`ALTER ROLE postgres PASSWORD '${NEW}'`);
      });
      expect(detection).toBeLessThanOrEqual(MAX_AGE_MS + INTERVAL_MS + JITTER_MS);
      expect(engine.source('db')?.latest?.error).toMatch(/^postgres: connect failed: password authentication failed/);
      expectNoPassword(engine, log);
    } finally {
      await admin.end();
    }
  });

  it('shows on MySQL/MariaDB (ALTER USER ... IDENTIFIED BY) within max_connection_age + interval', async () => {
    const { engine, log } = await watched({ name: 'db', kind: 'mysql', host: '127.0.0.1', port: 3306, user: mysqlUser, password: OLD });
    const detection = await detectRotation(engine, 'db', async () => {
      await mysqlAdmin.query(`ALTER USER '${mysqlUser}'@'%' IDENTIFIED BY '${NEW}'`);
    });
    expect(detection).toBeLessThanOrEqual(MAX_AGE_MS + INTERVAL_MS + JITTER_MS);
    expect(engine.source('db')?.latest?.error).toMatch(/^mysql: connect failed: Access denied/);
    expectNoPassword(engine, log);
  });

  it('keeps a healthy source ok across reconnects', async () => {
    // The rebuilt connection authenticates with the (unchanged) password: no false alarm.
    const { engine } = await watched({ name: 'cache', kind: 'redis', host: '127.0.0.1', port: redis.port, password: NEW });
    const deadline = performance.now() + MAX_AGE_MS * 2 + INTERVAL_MS * 2;
    while (performance.now() < deadline) {
      const result = await engine.runNow('cache');
      expect(result.status).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
    // The server saw Vigil reconnect: its connection count grew past one.
    const admin = new Redis({ host: '127.0.0.1', port: redis.port, password: NEW });
    try {
      const stats = await admin.info('stats');
      const received = Number(/total_connections_received:(\d+)/.exec(stats)?.[1]);
      expect(received).toBeGreaterThanOrEqual(3);
    } finally {
      admin.disconnect();
    }
  });
});

describe('a password rotated on RabbitMQ (rabbitmqctl change_password)', () => {
  // A user of this file's own on the shared broker, allowed into `/` and nothing else.
  const user = `vigil_rot_${randomBytes(4).toString('hex')}`;
  const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', ['-q', ...args]);

  beforeAll(async () => {
    await rabbitmqctl('add_user', user, OLD);
    await rabbitmqctl('set_permissions', '-p', '/', user, '^$', '^$', '^$');
  });
  afterAll(async () => {
    await rabbitmqctl('delete_user', user).catch(() => undefined);
  });

  it('shows within max_connection_age + interval', async () => {
    const { engine, log } = await watched({ name: 'broker', kind: 'rabbitmq', host: '127.0.0.1', port: 5672, user, password: OLD });
    // RabbitMQ keeps connections that authenticated with the old password open.
    const detection = await detectRotation(engine, 'broker', async () => {
      await rabbitmqctl('change_password', user, NEW);
    });
    expect(detection).toBeLessThanOrEqual(MAX_AGE_MS + INTERVAL_MS + JITTER_MS);
    expect(engine.source('broker')?.latest?.error).toMatch(/^rabbitmq: connect failed: .*ACCESS_REFUSED/);
    expectNoPassword(engine, log);
  });
});

describe('a password rotated on NATS (configuration reloaded)', () => {
  let nats: PrivateProcess;
  let confDir: string;
  const natsConf = (password: string) => `authorization { user: vigil, password: "${password}" }\n`;

  beforeAll(async () => {
    confDir = mkdtempSync(join(tmpdir(), 'vigil-nats-conf-'));
    writeFileSync(join(confDir, 'nats.conf'), natsConf(OLD));
    nats = await startNats({ configFile: join(confDir, 'nats.conf') });
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(confDir, { recursive: true, force: true });
  });

  it('shows within max_connection_age + interval', async () => {
    const { engine, log } = await watched({ name: 'events', kind: 'nats', url: `nats://127.0.0.1:${nats.port}`, user: 'vigil', password: OLD });
    writeFileSync(join(confDir, 'nats.conf'), natsConf(NEW));
    const rotatedAt = performance.now();
    nats.signal('SIGHUP');
    // nats-server may close clients the new configuration refuses at once; at the latest, the
    // rebuilt connection is refused.
    await expect
      .poll(() => engine.source('events')?.latest?.status, { timeout: MAX_AGE_MS + INTERVAL_MS + JITTER_MS, interval: 20 })
      .toBe('error');
    expect(performance.now() - rotatedAt).toBeLessThanOrEqual(MAX_AGE_MS + INTERVAL_MS + JITTER_MS);
    expect(engine.source('events')?.latest?.error).toMatch(/^nats: .*authori[sz]ation/i);
    expectNoPassword(engine, log);
  });
});

describe('max_connection_age', () => {
  it.each([['soon'], [0], [-5], ['50ms']])('refuses %j, naming the key', (value) => {
    const definition = testSource({ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', max_connection_age: value });
    expect(() => createRedisCheck(definition)).toThrow(CheckConfigError);
    expect(() => createRedisCheck(definition)).toThrow('source "cache" (redis): option "max_connection_age" must be a duration');
  });
});
