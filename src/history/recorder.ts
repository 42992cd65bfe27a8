// Writes each locally produced result into the store's history, in batches: results are
// folded in memory (one row per source per hour, one entry per status change) and flushed
// every `flushIntervalMs`, so probing never waits on the store and the write rate does not
// grow with the run rate. A flush that fails keeps its rows for the next one.
import type { Logger } from 'pino';
import type { CheckResult, CheckStatus } from '../checks/types.ts';
import type { Store } from '../store/types.ts';
import { addHistograms, bucketIndex, emptyHistogram } from './latency.ts';
import { isUp } from './uptime.ts';

const HOUR_MS = 3_600_000;

export interface HistoryRecorder {
  /** Folds one result in; never waits and never throws. */
  record(result: CheckResult): void;
  /** Writes what is folded so far. */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
}

export interface HistoryRecorderInput {
  readonly store: Store;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
  /** Default 5 s. */
  readonly flushIntervalMs?: number;
  /** Default 60 s; see `lastSeen`. */
  readonly reconcileAfterMs?: number;
}

interface PendingBucket {
  readonly source: string;
  readonly bucketStart: number;
  runs: number;
  upRuns: number;
  latencySumMs: number;
  latencyMaxMs: number;
  histogram: number[];
}

interface PendingChange {
  readonly source: string;
  readonly status: CheckStatus;
  readonly at: number;
}

export const UPSERT_BUCKETS = `
INSERT INTO vigil_history_buckets AS b (source, width, bucket_start, runs, up_runs, latency_sum_ms, latency_max_ms, histogram)
SELECT t.source, $1, t.bucket_start, t.runs, t.up_runs, t.latency_sum_ms, t.latency_max_ms, t.histogram::integer[]
FROM unnest($2::text[], $3::timestamptz[], $4::integer[], $5::integer[], $6::double precision[], $7::double precision[], $8::text[])
  AS t(source, bucket_start, runs, up_runs, latency_sum_ms, latency_max_ms, histogram)
ON CONFLICT (source, width, bucket_start) DO UPDATE SET
  runs = b.runs + EXCLUDED.runs,
  up_runs = b.up_runs + EXCLUDED.up_runs,
  latency_sum_ms = b.latency_sum_ms + EXCLUDED.latency_sum_ms,
  latency_max_ms = GREATEST(b.latency_max_ms, EXCLUDED.latency_max_ms),
  histogram = ARRAY(SELECT x + y FROM unnest(b.histogram, EXCLUDED.histogram) AS h(x, y))`;

export interface BucketRow {
  readonly source: string;
  readonly bucketStart: number;
  readonly runs: number;
  readonly upRuns: number;
  readonly latencySumMs: number;
  readonly latencyMaxMs: number;
  readonly histogram: readonly number[];
}

/** Parameters of UPSERT_BUCKETS for rows of one width. */
export function upsertParams(width: 'hour' | 'day', rows: readonly BucketRow[]): unknown[] {
  return [
    width,
    rows.map((r) => r.source),
    rows.map((r) => new Date(r.bucketStart).toISOString()),
    rows.map((r) => r.runs),
    rows.map((r) => r.upRuns),
    rows.map((r) => r.latencySumMs),
    rows.map((r) => r.latencyMaxMs),
    rows.map((r) => `{${r.histogram.join(',')}}`),
  ];
}

export function createHistoryRecorder(input: HistoryRecorderInput): HistoryRecorder {
  const { store, logger } = input;
  let buckets = new Map<string, PendingBucket>();
  let changes: PendingChange[] = [];
  // The status this process last saw per source, and when. A source absent here (or not run
  // here for a while: another replica may have owned it meanwhile) is reconciled with the span
  // open in the store: its next result is written as a change, which is a no-op when the store
  // already holds that status.
  const lastSeen = new Map<string, { status: CheckStatus; at: number }>();
  const reconcileAfterMs = input.reconcileAfterMs ?? 60_000;
  let flushing: Promise<void> | undefined;
  let warned = false;

  const timer = setInterval(() => void flush(), input.flushIntervalMs ?? 5_000);
  timer.unref();

  function record(result: CheckResult): void {
    const at = Date.parse(result.timestamp);
    if (!Number.isFinite(at)) return;
    const bucketStart = Math.floor(at / HOUR_MS) * HOUR_MS;
    const key = `${result.source}\u0000${bucketStart}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { source: result.source, bucketStart, runs: 0, upRuns: 0, latencySumMs: 0, latencyMaxMs: 0, histogram: emptyHistogram() };
      buckets.set(key, bucket);
    }
    bucket.runs += 1;
    if (isUp(result.status)) bucket.upRuns += 1;
    bucket.latencySumMs += result.latencyMs;
    bucket.latencyMaxMs = Math.max(bucket.latencyMaxMs, result.latencyMs);
    bucket.histogram[bucketIndex(result.latencyMs)] = (bucket.histogram[bucketIndex(result.latencyMs)] ?? 0) + 1;
    const seen = lastSeen.get(result.source);
    if (!seen || seen.status !== result.status || at - seen.at > reconcileAfterMs) {
      changes.push({ source: result.source, status: result.status, at });
    }
    lastSeen.set(result.source, { status: result.status, at });
  }

  async function write(rows: readonly PendingBucket[], pendingChanges: readonly PendingChange[]): Promise<void> {
    await store.transaction(async (query) => {
      if (rows.length > 0) await query(UPSERT_BUCKETS, upsertParams('hour', rows));
      for (const change of pendingChanges) {
        const at = new Date(change.at).toISOString();
        await query(
          `UPDATE vigil_history_spans SET ended_at = GREATEST(started_at, $3::timestamptz)
           WHERE source = $1 AND ended_at IS NULL AND status <> $2`,
          [change.source, change.status, at],
        );
        await query(
          `INSERT INTO vigil_history_spans (source, status, started_at)
           SELECT $1, $2, $3::timestamptz
           WHERE NOT EXISTS (SELECT 1 FROM vigil_history_spans WHERE source = $1 AND ended_at IS NULL)`,
          [change.source, change.status, at],
        );
      }
    });
  }

  async function flushOnce(): Promise<void> {
    if (buckets.size === 0 && changes.length === 0) return;
    const rows = [...buckets.values()];
    const pendingChanges = changes;
    buckets = new Map();
    changes = [];
    try {
      await write(rows, pendingChanges);
      warned = false;
    } catch (error) {
      // Put the rows back, folded with what arrived meanwhile, for the next flush.
      for (const row of rows) {
        const key = `${row.source}\u0000${row.bucketStart}`;
        const newer = buckets.get(key);
        if (newer) {
          newer.runs += row.runs;
          newer.upRuns += row.upRuns;
          newer.latencySumMs += row.latencySumMs;
          newer.latencyMaxMs = Math.max(newer.latencyMaxMs, row.latencyMaxMs);
          newer.histogram = addHistograms(newer.histogram, row.histogram);
        } else buckets.set(key, row);
      }
      changes = [...pendingChanges, ...changes];
      if (!warned) logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'history: cannot write to the store; keeping results for the next try');
      warned = true;
    }
  }

  function flush(): Promise<void> {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    record,
    flush,
    async close() {
      clearInterval(timer);
      await flushing;
      await flush();
    },
  };
}
