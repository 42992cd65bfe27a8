// Leases, fencing and the shared view on a private PostgreSQL database, in one process: the
// store's SQL itself (who may publish), then several coordinators over real engines sharing
// sources. Replicas as separate processes (kill -9, SIGSTOP, Redis probe counts) are in
// replicas.process.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/types.ts';
import { createCoordinator, type Coordinator } from '../../src/coordination/coordinator.ts';
import {
  acquireLeases,
  ensureLeaseRows,
  loadResults,
  publishResult,
  renewLeases,
  type Query,
} from '../../src/coordination/lease-sql.ts';
import { staleAfterMs, withStaleness } from '../../src/coordination/staleness.ts';
import { createHealthEngine } from '../../src/engine/engine.ts';
import type { HealthEngine } from '../../src/engine/types.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { testSource } from '../support/app.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { sourceState } from '../support/source-states.ts';
import { silentLogger } from '../store/backends.ts';
import { scriptedCheck } from '../engine/scripted-check.ts';

let db: PrivateDatabase;
let store: Store;
let query: Query;

beforeAll(async () => {
  db = await createPrivateDatabase('vigil_lease');
  store = await createStore({ url: db.url, dataDir: '' }, silentLogger);
  query = store.query;
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

function result(source: string, status: CheckResult['status'], at = new Date()): CheckResult {
  return { source, kind: 'http', status, latencyMs: 1, timestamp: at.toISOString() } as CheckResult;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('the lease table', () => {
  it('lets one replica hold a lease at a time and refuses a result published under a lease that moved', async () => {
    await ensureLeaseRows(query, ['fenced']);
    const [first] = await acquireLeases(query, 'replica-a', ['fenced'], 1, 300);
    expect(first?.epoch).toBe(1n);
    // Held and not expired: nobody else can take it.
    expect(await acquireLeases(query, 'replica-b', ['fenced'], 1, 300)).toEqual([]);
    const published = await publishResult(query, 'replica-a', 1n, result('fenced', 'ok'));
    expect(published?.epoch).toBe(1n);

    await sleep(400); // replica-a is "paused": its lease lapses and replica-b takes it over
    const [second] = await acquireLeases(query, 'replica-b', ['fenced'], 1, 10_000);
    expect(second?.epoch).toBe(2n);
    expect(await renewLeases(query, 'replica-a', ['fenced'], 10_000)).toEqual([]);
    const newer = await publishResult(query, 'replica-b', 2n, result('fenced', 'error'));
    expect(newer?.seq).toBeGreaterThan(published?.seq ?? 0n);

    // replica-a wakes and publishes what it saw before the pause: refused, the newer one stays.
    expect(await publishResult(query, 'replica-a', 1n, result('fenced', 'ok'))).toBeUndefined();
    const [stored] = await loadResults(query, ['fenced']);
    expect(stored).toMatchObject({ owner: 'replica-b', epoch: 2n, result: { status: 'error' } });
  });

  it('spreads free leases over replicas acquiring at once (SKIP LOCKED: no row twice)', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `spread-${i}`);
    await ensureLeaseRows(query, names);
    const taken = await Promise.all(['r1', 'r2', 'r3'].map((replica) => acquireLeases(query, replica, names, 20, 10_000)));
    const all = taken.flat().map((lease) => lease.source);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(60);
  });
});

describe('staleness', () => {
  it('reports a result older than interval + max(interval, timeout) as a stale error that keeps its age', () => {
    const state = sourceState({ name: 'db', status: 'ok', timestamp: '2025-01-01T10:00:00.000Z' });
    const limit = staleAfterMs(state.definition);
    const taken = Date.parse('2025-01-01T10:00:00.000Z');
    expect(withStaleness(state, taken + limit)).toBe(state);
    const stale = withStaleness(state, taken + limit + 1_000);
    expect(stale.latest).toMatchObject({ status: 'error', timestamp: '2025-01-01T10:00:00.000Z' });
    expect(stale.latest?.error).toMatch(/^stale: no fresh result: the last one \(ok\) is [\d.]+ s old$/);
  });
});

describe('coordinated engines', () => {
  const SOURCES = 30;
  const definitions = Array.from({ length: SOURCES }, (_, i) =>
    testSource({ name: `svc-${i}`, kind: 'http', url: 'http://127.0.0.1:1/', intervalMs: 500 }),
  );
  const local = testSource({ name: 'host', kind: 'resources', intervalMs: 500 });
  const runs = new Map<string, number>();
  const replicas: { coordinator: Coordinator; engine: HealthEngine; view: HealthEngine }[] = [];

  async function startReplica(): Promise<(typeof replicas)[number]> {
    const coordinator = createCoordinator({ url: db.url, sources: [...definitions, local], leaseTtlMs: 900, logger: silentLogger });
    const engine = createHealthEngine({
      sources: [...definitions, local],
      logger: silentLogger,
      coordinator,
      createCheck: (definition) =>
        scriptedCheck([
          async () => {
            runs.set(definition.name, (runs.get(definition.name) ?? 0) + 1);
            return {};
          },
        ]),
    });
    await coordinator.start(engine);
    engine.start();
    const replica = { coordinator, engine, view: coordinator.view(engine) };
    replicas.push(replica);
    return replica;
  }

  afterAll(async () => {
    for (const { engine, coordinator } of replicas) {
      await engine.stop();
      await coordinator.stop();
    }
  });

  it('splits the shared sources between replicas, probes each once per interval, and shows every result everywhere', async () => {
    await Promise.all([startReplica(), startReplica(), startReplica()]);
    const owned = () => replicas.map((r) => r.coordinator.owned().length);
    // A lease cycle may fail once while three replicas start at the same instant; reachability
    // is judged once they have settled.
    await until(
      () => owned().every((n) => n === SOURCES / 3) && replicas.every((r) => r.coordinator.storeReachable()),
      10_000,
      `an even split (${owned().join(', ')}) with the store reachable`,
    );
    expect(replicas.every((r) => r.coordinator.storeReachable())).toBe(true);
    // Every shared source is owned by exactly one replica.
    const owners = replicas.flatMap((r) => r.coordinator.owned());
    expect(new Set(owners).size).toBe(SOURCES);
    // The per-host source is probed by every replica and never leased.
    expect(replicas.every((r) => r.coordinator.isLocal('host'))).toBe(true);

    runs.clear();
    await sleep(2_000);
    const counts = definitions.map((d) => runs.get(d.name) ?? 0);
    // 2 s at a 500 ms interval: about 4 runs each across all replicas, not 12.
    expect(Math.max(...counts)).toBeLessThanOrEqual(6);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);

    // Every replica shows the same, fresh result for every shared source.
    for (const d of definitions) {
      const shown = replicas.map((r) => r.view.source(d.name)?.latest);
      expect(shown.every((latest) => latest?.status === 'ok')).toBe(true);
      const ages = shown.map((latest) => Date.now() - Date.parse(latest?.timestamp ?? ''));
      expect(Math.max(...ages)).toBeLessThan(1_500);
    }
  });

  it('hands the sources of a replica that leaves to the others at once', async () => {
    const leaving = replicas.pop();
    await leaving?.engine.stop();
    await leaving?.coordinator.stop();
    const owned = () => replicas.map((r) => r.coordinator.owned().length);
    await until(() => owned().every((n) => n === SOURCES / 2), 3_000, `the remaining two to own 15 each (${owned().join(', ')})`);
  });
});

describe('what counts for history and alerts', () => {
  const stopLater: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stopLater.splice(0)) await stop();
  });

  it("passes on each result the store accepted, and never one fenced off because its lease moved during the run", async () => {
    const name = `gated-${Math.random().toString(36).slice(2, 8)}`;
    const definition = testSource({ name, kind: 'http', url: 'http://127.0.0.1:1/', intervalMs: 200, timeoutMs: 5_000 });
    const published: CheckResult[] = [];
    let releaseLateRun: () => void = () => undefined;
    const lateRunStarted = new Promise<void>((started) => {
      const steps = [
        async () => ({}),
        async () => {
          started();
          await new Promise<void>((release) => {
            releaseLateRun = release;
          });
          throw new Error('the late run of a paused replica');
        },
      ];
      const coordinator = createCoordinator({
        url: db.url,
        sources: [definition],
        leaseTtlMs: 60_000,
        logger: silentLogger,
        onPublished: (result) => published.push(result),
      });
      const engine = createHealthEngine({ sources: [definition], logger: silentLogger, coordinator, createCheck: () => scriptedCheck(steps) });
      stopLater.push(async () => {
        await engine.stop();
        await coordinator.stop();
      });
      void coordinator.start(engine).then(() => engine.start());
    });

    await lateRunStarted;
    expect(published.map((r) => r.status)).toEqual(['ok']);
    // Another replica takes the lease while this one's run is still going (as after a pause).
    await query(`UPDATE vigil_source_leases SET owner = 'replica-thief', epoch = epoch + 1, expires_at = now() + interval '1 hour' WHERE source = $1`, [name]);
    releaseLateRun();
    await sleep(500);
    expect(published.map((r) => r.status)).toEqual(['ok']);
  });
});

describe("the coordinator's view", () => {
  it('moves its revision when a shown result turns stale with the clock, and only then', async () => {
    let offsetMs = 0;
    const definition = testSource({ name: 'aging', kind: 'http', url: 'http://127.0.0.1:1/', intervalMs: 500 });
    const coordinator = createCoordinator({ url: db.url, sources: [definition], leaseTtlMs: 900, logger: silentLogger, now: () => Date.now() + offsetMs });
    const engine = createHealthEngine({ sources: [definition], logger: silentLogger, coordinator, createCheck: () => scriptedCheck([async () => ({})]) });
    try {
      await coordinator.start(engine);
      engine.start();
      const view = coordinator.view(engine);
      await until(() => view.source('aging')?.latest?.status === 'ok', 10_000, 'a shared result on show');
      // No more results: only the clock can change what the view shows.
      await engine.stop();
      const before = view.revision();
      expect(view.revision()).toEqual(before);
      offsetMs = 3_600_000;
      const after = view.revision();
      expect(view.source('aging')?.latest?.status).toBe('error');
      expect(after.statuses).toBeGreaterThan(before.statuses);
      expect(after.results).toBeGreaterThan(before.results);
      expect(view.revision()).toEqual(after);
    } finally {
      await engine.stop();
      await coordinator.stop();
    }
  });
});
