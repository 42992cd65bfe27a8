// However hard the API is pounded, each dependency sees one probe per interval: handlers read
// the engine's snapshot and never reach a dependency. Counted on the dependencies' side: a
// private Redis's INFO commandstats and a private PostgreSQL's statement log.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/checks/redis.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startPostgres, startRedis, type PrivateProcess } from '../support/processes.ts';

const INTERVAL_MS = 500;
const WINDOW_MS = 3_000;
const PROBE_QUERY = 'SELECT 1 AS vigil_probe_count';
const CONCURRENT_CLIENTS = 16;

describe('probes under a pounding of the API', () => {
  let redis: PrivateProcess;
  let postgres: PrivateProcess;
  let admin: Redis;
  let app: TestApp;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres({ settings: { log_statement: 'all' } })]);
    admin = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
    await admin.connect();
    app = await startTestApp({
      sources: [
        { name: 'cache', kind: 'redis', url: `redis://127.0.0.1:${redis.port}`, intervalMs: INTERVAL_MS },
        { name: 'db', kind: 'postgres', url: `postgres://postgres@127.0.0.1:${postgres.port}/postgres`, query: PROBE_QUERY, intervalMs: INTERVAL_MS },
      ],
    });
  });
  afterAll(async () => {
    await app?.close();
    admin?.disconnect();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  async function redisPings(): Promise<number> {
    const stats = parseInfo(await admin.info('commandstats'));
    const calls = /(?:^|,)calls=(\d+)/.exec(stats.get('cmdstat_ping') ?? '');
    return Number(calls?.[1] ?? 0);
  }

  function postgresProbes(): number {
    return postgres.output().split('\n').filter((line) => line.includes(`statement: ${PROBE_QUERY}`)).length;
  }

  /** Requests `paths` from CONCURRENT_CLIENTS clients in a loop for `ms`; returns the count and statuses seen. */
  async function pound(paths: readonly string[], ms: number): Promise<{ requests: number; statuses: Set<number> }> {
    const until = performance.now() + ms;
    const statuses = new Set<number>();
    let requests = 0;
    await Promise.all(
      Array.from({ length: CONCURRENT_CLIENTS }, async (_, client) => {
        for (let i = client; performance.now() < until; i += 1) {
          const response = await fetch(`${app.baseUrl}${paths[i % paths.length]}`);
          await response.arrayBuffer();
          statuses.add(response.status);
          requests += 1;
        }
      }),
    );
    return { requests, statuses };
  }

  it('sees one Redis PING and one PostgreSQL test query per interval, not one per request', async () => {
    expect(app.deps.engine.source('cache')?.latest?.status).toBe('ok');
    expect(app.deps.engine.source('db')?.latest?.status).toBe('ok');

    const pingsBefore = await redisPings();
    const queriesBefore = postgresProbes();
    const started = performance.now();
    const { requests, statuses } = await pound(['/readyz', '/health', '/livez'], WINDOW_MS);
    const elapsed = performance.now() - started;
    const pings = (await redisPings()) - pingsBefore;
    const queries = postgresProbes() - queriesBefore;

    const expected = elapsed / INTERVAL_MS;
    const seen = `${requests} requests, ${pings} PINGs and ${queries} test queries in ${Math.round(elapsed)} ms`;
    // Many more requests than probes...
    expect(requests, seen).toBeGreaterThan(5 * expected);
    expect(statuses.has(200)).toBe(true);
    // ...and the dependencies saw about one probe per interval (timers may slip under load,
    // never fire more often).
    for (const count of [pings, queries]) {
      expect(count, seen).toBeLessThanOrEqual(Math.ceil(expected) + 1);
      expect(count, seen).toBeGreaterThanOrEqual(Math.floor(expected) - 2);
    }
  });
});
