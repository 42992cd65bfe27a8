// History in Vigil's own store, on both backends: results folded into hourly buckets and
// status spans, read back, reconciled across writers (a restart, another replica), and kept
// bounded by retention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/types.ts';
import { readHistories } from '../../src/history/reader.ts';
import { createHistoryRecorder } from '../../src/history/recorder.ts';
import { applyRetention } from '../../src/history/retention.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { BACKENDS, freshBackend, silentLogger, type BackendFixture } from '../store/backends.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-30T10:00:00Z');

function result(source: string, status: CheckResult['status'], at: number, latencyMs = 4): CheckResult {
  return { source, kind: 'http', status, latencyMs, timestamp: new Date(at).toISOString() } as CheckResult;
}

describe.each(BACKENDS)('history on %s', (backend) => {
  let fixture: BackendFixture;
  let store: Store;

  beforeAll(async () => {
    fixture = await freshBackend(backend);
    store = await createStore(fixture.config, silentLogger);
  });
  afterAll(async () => {
    await store?.close();
    await fixture?.cleanup();
  });

  it('folds runs into hourly buckets and status changes into spans', async () => {
    const recorder = createHistoryRecorder({ store, logger: silentLogger, flushIntervalMs: 60_000 });
    recorder.record(result('a', 'ok', T0, 3));
    recorder.record(result('a', 'ok', T0 + 10_000, 40));
    recorder.record(result('a', 'timeout', T0 + 20_000, 2_000));
    recorder.record(result('a', 'ok', T0 + 30_000, 5));
    // Next hour.
    recorder.record(result('a', 'ok', T0 + HOUR, 7));
    await recorder.flush();
    // A second flush of the same hour adds to the bucket.
    recorder.record(result('a', 'ok', T0 + HOUR + 10_000, 9));
    await recorder.close();

    const history = (await readHistories(store, ['a', 'never-seen'], T0 + 2 * HOUR)).get('a');
    expect(history?.spans).toEqual([
      { status: 'ok', startedAt: T0, endedAt: T0 + 20_000 },
      { status: 'timeout', startedAt: T0 + 20_000, endedAt: T0 + 30_000 },
      { status: 'ok', startedAt: T0 + 30_000, endedAt: null },
    ]);
    const hours = history?.buckets.map((b) => ({ start: b.bucketStart, runs: b.runs, up: b.upRuns, sum: b.latencySumMs, max: b.latencyMaxMs }));
    expect(hours).toEqual([
      { start: T0, runs: 4, up: 3, sum: 2048, max: 2000 },
      { start: T0 + HOUR, runs: 2, up: 2, sum: 16, max: 9 },
    ]);
    expect(history?.buckets[0]?.histogram.reduce((s, n) => s + n, 0)).toBe(4);
  });

  it('a second writer (a restart, another replica) continues the open span instead of duplicating it', async () => {
    const first = createHistoryRecorder({ store, logger: silentLogger, flushIntervalMs: 60_000 });
    first.record(result('b', 'error', T0));
    await first.close();
    const second = createHistoryRecorder({ store, logger: silentLogger, flushIntervalMs: 60_000 });
    second.record(result('b', 'error', T0 + 5_000));
    second.record(result('b', 'ok', T0 + 10_000));
    await second.close();
    const spans = (await readHistories(store, ['b'], T0 + HOUR)).get('b')?.spans;
    expect(spans).toEqual([
      { status: 'error', startedAt: T0, endedAt: T0 + 10_000 },
      { status: 'ok', startedAt: T0 + 10_000, endedAt: null },
    ]);
  });

  it('keeps results whose flush failed and writes them with the next one', async () => {
    const failing: Store = { ...store, transaction: () => Promise.reject(new Error('store down')) };
    let healthy = false;
    const flaky: Store = { ...store, transaction: (work) => (healthy ? store.transaction(work) : failing.transaction(work)) };
    const recorder = createHistoryRecorder({ store: flaky, logger: silentLogger, flushIntervalMs: 60_000 });
    recorder.record(result('c', 'ok', T0));
    await recorder.flush();
    recorder.record(result('c', 'ok', T0 + 1_000));
    healthy = true;
    await recorder.close();
    const history = (await readHistories(store, ['c'], T0 + HOUR)).get('c');
    expect(history?.buckets.map((b) => b.runs)).toEqual([2]);
    expect(history?.spans).toHaveLength(1);
  });

  it('retention folds hours older than two days into days and deletes what is past retention', async () => {
    const recorder = createHistoryRecorder({ store, logger: silentLogger, flushIntervalMs: 60_000 });
    const old = Date.parse('2026-11-01T05:00:00Z');
    recorder.record(result('d', 'ok', old, 10));
    recorder.record(result('d', 'error', old + HOUR, 30));
    recorder.record(result('d', 'ok', old + 40 * DAY));
    await recorder.close();
    const now = old + 40 * DAY + HOUR;
    // 20 days of retention: the two old hours go; spans are kept 90 days.
    const outcome = await applyRetention(store, 20 * DAY, now);
    expect(outcome.skipped).toBe(false);
    expect(outcome.foldedHours).toBeGreaterThanOrEqual(2);
    const history = (await readHistories(store, ['d'], now)).get('d');
    expect(history?.buckets.map((b) => b.bucketStart)).toEqual([old + 40 * DAY - ((old + 40 * DAY) % HOUR)]);
    expect(history?.spans.map((s) => s.status)).toEqual(['ok', 'error', 'ok']);

    // With 60 days of retention the old hours survive as one day row.
    const recorder2 = createHistoryRecorder({ store, logger: silentLogger, flushIntervalMs: 60_000 });
    recorder2.record(result('e', 'ok', old, 10));
    recorder2.record(result('e', 'error', old + HOUR, 30));
    await recorder2.close();
    await applyRetention(store, 60 * DAY, now);
    const e = (await readHistories(store, ['e'], old + 2 * DAY)).get('e');
    expect(e?.buckets.map((b) => ({ width: b.width, runs: b.runs, up: b.upRuns, max: b.latencyMaxMs }))).toEqual([
      { width: 'day', runs: 2, up: 1, max: 30 },
    ]);
  });
});
