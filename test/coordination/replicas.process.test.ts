// Three Vigil processes on one PostgreSQL database (a private one on the shared server), a
// private redis-server and an HTTP stub in this process: one probe per interval across all
// replicas, an even split of 302 sources, one view, fencing across SIGSTOP, failover after
// kill -9 and a rolling restart. Counted on the dependencies' side (INFO commandstats, the
// stub's request log). The steps run in order on the same replicas to share their start-up.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/checks/redis.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { startReplica, type ReplicaProcess } from '../support/replicas.ts';

const TTL_MS = 3_000;
const FAST_MS = 1_000;
const SLOW_MS = 10_000;
const SLOW_SOURCES = 300;
const SHARED = SLOW_SOURCES + 2;
const SECRET = 'hasura-secret-replicas-7d2e';
const HASURA = { 'X-Hasura-Admin-Secret': SECRET, 'X-Hasura-Role': 'admin' };

const dir = mkdtempSync(join(tmpdir(), 'vigil-replicas-'));
let db: PrivateDatabase;
let redis: PrivateProcess;
let admin: Redis;
let stub: Server;
let apiStatus = 200;
/** Request times (Date.now()) per stub path. */
const hits = new Map<string, number[]>();
const replicas: ReplicaProcess[] = [];
let started = 0;

function config(port: number): string {
  const stubPort = (stub.address() as AddressInfo).port;
  const slow = Array.from(
    { length: SLOW_SOURCES },
    (_, i) => `  - { name: svc-${i}, kind: http, url: "http://127.0.0.1:${stubPort}/s/${i}", interval: ${SLOW_MS}ms, timeout: 2s, retries: 0 }`,
  );
  return [
    `server: { port: ${port}, shutdown_grace: 2s }`,
    `store:`,
    `  url: "${db.url}"`,
    `  coordination: { lease_ttl: ${TTL_MS}ms }`,
    `auth: { hasura_admin_secret: "${SECRET}" }`,
    `log: { level: info }`,
    `sources:`,
    `  - { name: cache, kind: redis, url: "redis://127.0.0.1:${redis.port}", interval: ${FAST_MS}ms, timeout: 500ms, retries: 0 }`,
    `  - { name: api, kind: http, url: "http://127.0.0.1:${stubPort}/api", interval: ${FAST_MS}ms, timeout: 500ms, retries: 0 }`,
    `  - { name: host, kind: resources, interval: ${FAST_MS}ms }`,
    ...slow,
    '',
  ].join('\n');
}

async function launch(): Promise<ReplicaProcess> {
  started += 1;
  const replica = await startReplica(`r${started}`, dir, config);
  replicas.push(replica);
  return replica;
}

function remove(replica: ReplicaProcess): void {
  replicas.splice(replicas.indexOf(replica), 1);
}

beforeAll(async () => {
  [db, redis] = await Promise.all([createPrivateDatabase('vigil_replicas'), startRedis()]);
  admin = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
  await admin.connect();
  stub = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, [...(hits.get(path) ?? []), Date.now()]);
    res.statusCode = path === '/api' ? apiStatus : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  await Promise.all([launch(), launch(), launch()]);
}, 400_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  admin?.disconnect();
  await new Promise((resolve) => stub?.close(resolve));
  await redis?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Shown {
  readonly status: string;
  readonly timestamp: string;
  readonly error: unknown;
}

async function sourcesOf(replica: ReplicaProcess): Promise<Record<string, Shown>> {
  const response = await fetch(`${replica.url}/healthz/sources`, { headers: HASURA, signal: AbortSignal.timeout(2_000) });
  if (response.status !== 200) throw new Error(`${replica.name}: /healthz/sources answered ${response.status}`);
  return (await response.json()) as Record<string, Shown>;
}

async function ownedBy(replica: ReplicaProcess): Promise<Set<string>> {
  const text = await (await fetch(`${replica.url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  const owned = [...text.matchAll(/^vigil_source_lease_owned\{source="([^"]+)",kind="[^"]*"\} 1$/gm)].map((m) => m[1] as string);
  return new Set(owned);
}

async function owners(): Promise<Map<ReplicaProcess, Set<string>>> {
  const sets = await Promise.all(replicas.map(ownedBy));
  return new Map(replicas.map((r, i) => [r, sets[i] as Set<string>]));
}

async function ownerOf(source: string): Promise<ReplicaProcess> {
  for (const [replica, owned] of await owners()) if (owned.has(source)) return replica;
  throw new Error(`nobody owns ${source}`);
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: () => string): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await sleep(100);
  }
}

async function redisPings(): Promise<number> {
  const stats = parseInfo(await admin.info('commandstats'));
  return Number(/(?:^|,)calls=(\d+)/.exec(stats.get('cmdstat_ping') ?? '')?.[1] ?? 0);
}

/** Waits until the shared sources are split evenly (each within ±20 of its share). */
async function balanced(count: number): Promise<number[]> {
  let last: number[] = [];
  return until(
    async () => {
      const sets = [...(await owners()).values()];
      last = sets.map((s) => s.size);
      const union = new Set(sets.flatMap((s) => [...s]));
      const share = SHARED / count;
      return sets.length === count && union.size === SHARED && last.every((n) => Math.abs(n - share) <= 20) ? last : undefined;
    },
    30_000,
    () => `an even split over ${count} replicas (owned: ${last.join(', ')})`,
  );
}

/** Polls `source` on every replica every 100 ms while `during` runs; returns what each showed. */
async function watch(source: string, during: () => Promise<void>): Promise<Map<ReplicaProcess, { at: number; shown: Shown }[]>> {
  const seen = new Map<ReplicaProcess, { at: number; shown: Shown }[]>(replicas.map((r) => [r, []]));
  let done = false;
  const pollers = [...seen.keys()].map(async (replica) => {
    while (!done) {
      const at = Date.now();
      const shown = await sourcesOf(replica).then((all) => all[source], () => undefined);
      if (shown) seen.get(replica)?.push({ at, shown });
      await sleep(100);
    }
  });
  try {
    await during();
  } finally {
    done = true;
    await Promise.all(pollers);
  }
  return seen;
}

const isStale = (shown: Shown) => JSON.stringify(shown.error ?? '').includes('stale');

describe('three replicas on one store', () => {
  it('split 302 shared sources evenly: each owns 100 ± 20', async () => {
    const sizes = await balanced(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(SHARED);
  }, 40_000);

  it('probe the Redis source once per second between them, not three times', async () => {
    const before = await redisPings();
    const started = performance.now();
    await sleep(10_000);
    const pings = (await redisPings()) - before;
    const expected = (performance.now() - started) / FAST_MS;
    expect(pings, `${pings} PINGs in ${Math.round(expected)} intervals`).toBeGreaterThanOrEqual(expected - 3);
    expect(pings, `${pings} PINGs in ${Math.round(expected)} intervals`).toBeLessThanOrEqual(expected + 2);
    // Every replica shows the same fresh result.
    const shown = await Promise.all(replicas.map(sourcesOf));
    for (const all of shown) expect(all.cache?.status).toBe('OK');
  }, 20_000);

  it('show a change in a dependency on every replica within an interval + 1 s', async () => {
    apiStatus = 500;
    const changed = Date.now();
    try {
      const elapsed = await until(
        async () => {
          const all = await Promise.all(replicas.map(sourcesOf));
          return all.every((s) => s.api?.status === 'ERROR') ? Date.now() - changed : undefined;
        },
        10_000,
        () => 'every replica to show api as ERROR',
      );
      // + 300 ms: this test's polling (every 100 ms, three requests).
      expect(elapsed).toBeLessThanOrEqual(FAST_MS + 1_000 + 300);
    } finally {
      apiStatus = 200;
    }
  }, 20_000);

  it('never serve a result older than the newest after the owner is paused (SIGSTOP) past its lease', async () => {
    const owner = await ownerOf('cache');
    let frozenAt = 0;
    let thawedAt = 0;
    const seen = await watch('cache', async () => {
      await sleep(1_000);
      frozenAt = Date.now();
      owner.freeze();
      await sleep(2 * TTL_MS);
      owner.thaw();
      thawedAt = Date.now();
      await sleep(3_000);
    });
    for (const [replica, answers] of seen) {
      const fresh = answers.filter((a) => !isStale(a.shown)).map((a) => Date.parse(a.shown.timestamp));
      // Per replica, what it shows only moves forward.
      for (let i = 1; i < fresh.length; i += 1) expect(fresh[i], `${replica.name} went back in time`).toBeGreaterThanOrEqual(fresh[i - 1] ?? 0);
    }
    // Another replica took over within an interval + TTL of the pause.
    const others = [...seen.entries()].filter(([r]) => r !== owner).flatMap(([, answers]) => answers);
    const takeover = others.find((a) => Date.parse(a.shown.timestamp) > frozenAt && a.shown.status === 'OK');
    expect(takeover, 'a result taken after the pause').toBeDefined();
    expect(Date.parse(takeover?.shown.timestamp ?? '') - frozenAt).toBeLessThanOrEqual(FAST_MS + TTL_MS + 500);
    // The woken owner never shows anything older than what the others showed before it woke.
    const newestBeforeThaw = Math.max(...others.filter((a) => a.at < thawedAt).map((a) => Date.parse(a.shown.timestamp)));
    const woken = (seen.get(owner) ?? []).filter((a) => a.at > thawedAt && !isStale(a.shown));
    expect(woken.length).toBeGreaterThan(0);
    for (const answer of woken) expect(Date.parse(answer.shown.timestamp)).toBeGreaterThanOrEqual(newestBeforeThaw);
    expect(owner.output()).toMatch(/moved to another replica/);
  }, 30_000);

  it('leave no source unprobed for more than 2 intervals through a rolling restart of all 3', async () => {
    const from = Date.now();
    for (const old of [...replicas]) {
      await launch(); // the new one first, as a Deployment's rolling update does
      await old.stop();
      remove(old);
    }
    await balanced(3);
    await sleep(2 * FAST_MS);
    const to = Date.now();
    const gaps = [...hits.entries()].map(([path, times]) => {
      const inWindow = [from - SLOW_MS, ...times.filter((t) => t >= from && t <= to), to];
      const before = times.filter((t) => t < from).at(-1) ?? from - SLOW_MS;
      inWindow[0] = before;
      let worst = 0;
      for (let i = 1; i < inWindow.length; i += 1) worst = Math.max(worst, (inWindow[i] ?? 0) - (inWindow[i - 1] ?? 0));
      return { path, worst, interval: path === '/api' ? FAST_MS : SLOW_MS };
    });
    expect(gaps.length).toBe(SLOW_SOURCES + 1);
    const late = gaps.filter((g) => g.worst > 2 * g.interval);
    expect(late, JSON.stringify(late.slice(0, 5))).toEqual([]);
  }, 400_000);

  it('resume probing within an interval + TTL after kill -9 of the owner, and rebalance to 151 ± 20 each', async () => {
    const owner = await ownerOf('cache');
    await owner.crash();
    const crashedAt = Date.now();
    remove(owner);
    const resumed = await until(
      async () => {
        const all = await Promise.all(replicas.map(sourcesOf));
        return all.every((s) => s.cache?.status === 'OK' && Date.parse(s.cache.timestamp) > crashedAt)
          ? Math.min(...all.map((s) => Date.parse(s.cache?.timestamp ?? ""))) - crashedAt
          : undefined;
      },
      15_000,
      () => 'both remaining replicas to show a result taken after the crash',
    );
    expect(resumed).toBeLessThanOrEqual(FAST_MS + TTL_MS + 500);
    await balanced(2);
  }, 45_000);
});
