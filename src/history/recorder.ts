// Writes each locally produced result into the store's history, in batches: results are
// folded in memory (one row per source per hour, one entry per status change) and flushed
// every `flushIntervalMs`, so probing never waits on the store and the write rate does not
// grow with the run rate. A flush that fails keeps its rows for the next one.
import type { Logger } from 'pino';
import type { CheckResult, CheckStatus } from '../checks/types.ts';
import type { Store } from '../store/types.ts';
import { bucketIndex, emptyHistogram } from './latency.ts';
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
  /** Default 60 s: a source unseen this long is reconciled with the store's open span. */
  readonly reconcileAfterMs?: number;
}

interface PendingChange {
  readonly source: string;
  readonly status: CheckStatus;
  readonly at: number;
}

// The rows travel as one JSON parameter, `[[source, bucket_start, runs, up_runs, latency_sum_ms,
// latency_max_ms, '{histogram}'], ...]`: pg's own array parameters escaped every element in
// JavaScript, a tenth of Vigil's CPU and its largest source of garbage at 20,000 sources
// (issue 10); JSON.stringify is one native call.
export const UPSERT_BUCKETS = `
INSERT INTO vigil_history_buckets AS b (source, width, bucket_start, runs, up_runs, latency_sum_ms, latency_max_ms, histogram)
SELECT r->>0, $1, (r->>1)::timestamptz, (r->>2)::integer, (r->>3)::integer, (r->>4)::double precision, (r->>5)::double precision, (r->>6)::integer[]
FROM json_array_elements($2::json) AS r
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

/** One row of UPSERT_BUCKETS' JSON parameter. */
type BucketTuple = [source: string, bucketStart: string, runs: number, upRuns: number, latencySumMs: number, latencyMaxMs: number, histogram: string];

// Rows of one flush mostly share their hour: its ISO text is made once, not once per row.
let lastStart = Number.NaN;
let lastStartText = '';
function isoOf(ms: number): string {
  if (ms !== lastStart) {
    lastStart = ms;
    lastStartText = new Date(ms).toISOString();
  }
  return lastStartText;
}

function addRow(rows: BucketTuple[], row: BucketRow): void {
  rows.push([row.source, isoOf(row.bucketStart), row.runs, row.upRuns, row.latencySumMs, row.latencyMaxMs, `{${row.histogram.join(',')}}`]);
}

function paramsOf(width: 'hour' | 'day', rows: readonly BucketTuple[]): unknown[] {
  return [width, JSON.stringify(rows)];
}

/** Parameters of UPSERT_BUCKETS for rows of one width. */
export function upsertParams(width: 'hour' | 'day', rows: readonly BucketRow[]): unknown[] {
  const tuples: BucketTuple[] = [];
  for (const row of rows) addRow(tuples, row);
  return paramsOf(width, tuples);
}

/** A tuple back as a row (a flush that failed gives its rows back). */
function rowOf(tuple: BucketTuple): BucketRow {
  const [source, start, runs, upRuns, latencySumMs, latencyMaxMs, histogram] = tuple;
  return { source, bucketStart: Date.parse(start), runs, upRuns, latencySumMs, latencyMaxMs, histogram: histogram.slice(1, -1).split(',').map(Number) };
}

// Status changes, one statement per kind for many sources at once (distinct sources: see
// `rounds`): 20,000 first results used to be 40,000 statements in one transaction.
const END_SPANS = `
UPDATE vigil_history_spans AS s SET ended_at = GREATEST(s.started_at, c.at)
FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c(source, status, at)
WHERE s.source = c.source AND s.ended_at IS NULL AND s.status <> c.status`;
const OPEN_SPANS = `
INSERT INTO vigil_history_spans (source, status, started_at)
SELECT c.source, c.status, c.at
FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c(source, status, at)
WHERE NOT EXISTS (SELECT 1 FROM vigil_history_spans WHERE source = c.source AND ended_at IS NULL)`;

/**
 * `changes` split into rounds in which each source appears at most once, keeping each
 * source's order: round k holds every source's k-th change. Nearly always one round.
 */
function rounds(changes: readonly PendingChange[]): PendingChange[][] {
  const seen = new Map<string, number>();
  const out: PendingChange[][] = [];
  for (const change of changes) {
    const round = seen.get(change.source) ?? 0;
    seen.set(change.source, round + 1);
    (out[round] ??= []).push(change);
  }
  return out;
}

/**
 * What this process folded for one source since the last flush, and the status it last saw.
 * One per source for the life of the process, reset in place by each flush: per-flush bucket
 * objects lived long enough to be promoted and became old-generation garbage at 2,000
 * results a second (issue 10).
 */
interface SourceRuns extends BucketRow {
  bucketStart: number;
  runs: number;
  upRuns: number;
  latencySumMs: number;
  latencyMaxMs: number;
  readonly histogram: number[];
  /** The status this process last saw for the source, and when; undefined before the first. */
  status: CheckStatus | undefined;
  at: number;
  /** In `dirty` (waiting for the next flush). */
  queued: boolean;
}

function clear(runs: SourceRuns): void {
  runs.runs = 0;
  runs.upRuns = 0;
  runs.latencySumMs = 0;
  runs.latencyMaxMs = 0;
  runs.histogram.fill(0);
}

function fold(into: SourceRuns, row: BucketRow): void {
  into.runs += row.runs;
  into.upRuns += row.upRuns;
  into.latencySumMs += row.latencySumMs;
  into.latencyMaxMs = Math.max(into.latencyMaxMs, row.latencyMaxMs);
  row.histogram.forEach((count, i) => (into.histogram[i] = (into.histogram[i] ?? 0) + count));
}

export function createHistoryRecorder(input: HistoryRecorderInput): HistoryRecorder {
  const { store, logger } = input;
  const perSource = new Map<string, SourceRuns>();
  // Sources with runs folded since the last flush, so a flush does not scan every source.
  let dirty: SourceRuns[] = [];
  // Buckets no longer in `perSource`: an hour that ended before its flush, or rows a failed
  // flush gave back that no longer fit their source's current hour.
  let spilled: BucketRow[] = [];
  let changes: PendingChange[] = [];
  // A source this process has not seen (or not for a while: another replica may have owned it
  // meanwhile) is reconciled with the span open in the store: its next result is written as a
  // change, which is a no-op when the store already holds that status.
  const reconcileAfterMs = input.reconcileAfterMs ?? 60_000;
  let flushing: Promise<void> | undefined;
  let warned = false;

  const timer = setInterval(() => void flush(), input.flushIntervalMs ?? 5_000);
  timer.unref();

  function sourceRuns(source: string, bucketStart: number): SourceRuns {
    let runs = perSource.get(source);
    if (!runs) {
      runs = { source, bucketStart, runs: 0, upRuns: 0, latencySumMs: 0, latencyMaxMs: 0, histogram: emptyHistogram(), status: undefined, at: 0, queued: false };
      perSource.set(source, runs);
    }
    return runs;
  }

  function queue(runs: SourceRuns): void {
    if (runs.queued) return;
    runs.queued = true;
    dirty.push(runs);
  }

  /** `row` folded into its source's pending runs when they are of the same hour (or none). */
  function take(row: BucketRow): void {
    const runs = sourceRuns(row.source, row.bucketStart);
    if (runs.runs > 0 && runs.bucketStart !== row.bucketStart) {
      spilled.push(row);
      return;
    }
    runs.bucketStart = row.bucketStart;
    queue(runs);
    fold(runs, row);
  }

  function record(result: CheckResult): void {
    const at = Date.parse(result.timestamp);
    if (!Number.isFinite(at)) return;
    const bucketStart = Math.floor(at / HOUR_MS) * HOUR_MS;
    const runs = sourceRuns(result.source, bucketStart);
    if (runs.runs > 0 && runs.bucketStart !== bucketStart) {
      // A new hour before the last one was written: that hour's runs wait on their own.
      const { source, runs: count, upRuns, latencySumMs, latencyMaxMs } = runs;
      spilled.push({ source, bucketStart: runs.bucketStart, runs: count, upRuns, latencySumMs, latencyMaxMs, histogram: [...runs.histogram] });
      clear(runs);
    }
    runs.bucketStart = bucketStart;
    queue(runs);
    runs.runs += 1;
    if (isUp(result.status)) runs.upRuns += 1;
    runs.latencySumMs += result.latencyMs;
    runs.latencyMaxMs = Math.max(runs.latencyMaxMs, result.latencyMs);
    const index = bucketIndex(result.latencyMs);
    runs.histogram[index] = (runs.histogram[index] ?? 0) + 1;
    if (runs.status !== result.status || at - runs.at > reconcileAfterMs) {
      changes.push({ source: result.source, status: result.status, at });
    }
    runs.status = result.status;
    runs.at = at;
  }

  async function write(rows: readonly BucketTuple[], pendingChanges: readonly PendingChange[]): Promise<void> {
    await store.transaction(async (query) => {
      if (rows.length > 0) await query(UPSERT_BUCKETS, paramsOf('hour', rows));
      for (const round of rounds(pendingChanges)) {
        const params = [round.map((c) => c.source), round.map((c) => c.status), round.map((c) => new Date(c.at).toISOString())];
        await query(END_SPANS, params);
        await query(OPEN_SPANS, params);
      }
    });
  }

  async function flushOnce(): Promise<void> {
    if (dirty.length === 0 && spilled.length === 0 && changes.length === 0) return;
    const rows: BucketTuple[] = [];
    for (const row of spilled) addRow(rows, row);
    for (const runs of dirty) {
      if (runs.runs > 0) addRow(rows, runs);
      clear(runs);
      runs.queued = false;
    }
    spilled = [];
    dirty = [];
    const pendingChanges = changes;
    changes = [];
    try {
      await write(rows, pendingChanges);
      warned = false;
    } catch (error) {
      // Put the rows back, folded with what arrived meanwhile, for the next flush.
      for (const tuple of rows) take(rowOf(tuple));
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
