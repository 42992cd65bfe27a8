// Reads sources' history back from the store: the status spans of the last `SPAN_DAYS` days
// and the run buckets of the retention period, for one source or many in one query each.
import type { CheckStatus } from '../checks/types.ts';
import type { Store } from '../store/types.ts';
import type { BucketRow } from './recorder.ts';
import type { StatusSpan } from './uptime.ts';

/** Status spans are kept at least this long: the status page shows 90 days of uptime. */
export const SPAN_DAYS = 90;
const DAY_MS = 86_400_000;

export interface StoredBucket extends BucketRow {
  readonly width: 'hour' | 'day';
}

export interface StoredHistory {
  readonly spans: readonly StatusSpan[];
  readonly buckets: readonly StoredBucket[];
}

function ms(value: unknown): number {
  return value instanceof Date ? value.getTime() : Date.parse(String(value));
}

function ints(value: unknown): number[] {
  if (Array.isArray(value)) return value.map(Number);
  // Some drivers hand arrays back as their text form, `{1,2,3}`.
  return String(value).replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
}

/** A row of vigil_history_buckets as the drivers hand it back. */
export interface BucketDbRow extends Record<string, unknown> {
  readonly source: string;
  readonly width: string;
  readonly bucket_start: unknown;
  readonly runs: number;
  readonly up_runs: number;
  readonly latency_sum_ms: number;
  readonly latency_max_ms: number;
  readonly histogram: unknown;
}

export const BUCKET_COLUMNS = 'source, width, bucket_start, runs, up_runs, latency_sum_ms, latency_max_ms, histogram';

export function bucketOfRow(row: BucketDbRow): StoredBucket {
  return {
    source: row.source,
    width: row.width === 'day' ? 'day' : 'hour',
    bucketStart: ms(row.bucket_start),
    runs: Number(row.runs),
    upRuns: Number(row.up_runs),
    latencySumMs: Number(row.latency_sum_ms),
    latencyMaxMs: Number(row.latency_max_ms),
    histogram: ints(row.histogram),
  };
}

/** The stored history of each of `sources` (absent sources get an empty history). */
export async function readHistories(store: Store, sources: readonly string[], nowMs: number): Promise<Map<string, StoredHistory>> {
  const from = new Date(nowMs - SPAN_DAYS * DAY_MS).toISOString();
  const [spanRows, bucketRows] = await Promise.all([
    store.query<{ source: string; status: string; started_at: unknown; ended_at: unknown }>(
      `SELECT source, status, started_at, ended_at FROM vigil_history_spans
       WHERE source = ANY($1::text[]) AND (ended_at IS NULL OR ended_at > $2::timestamptz)
       ORDER BY source, started_at`,
      [sources, from],
    ),
    store.query<BucketDbRow>(
      `SELECT ${BUCKET_COLUMNS} FROM vigil_history_buckets
       WHERE source = ANY($1::text[]) AND bucket_start > $2::timestamptz ORDER BY source, bucket_start`,
      [sources, from],
    ),
  ]);
  const result = new Map<string, { spans: StatusSpan[]; buckets: StoredBucket[] }>(sources.map((s) => [s, { spans: [], buckets: [] }]));
  for (const row of spanRows) {
    result.get(row.source)?.spans.push({
      status: row.status as CheckStatus,
      startedAt: ms(row.started_at),
      endedAt: row.ended_at === null || row.ended_at === undefined ? null : ms(row.ended_at),
    });
  }
  for (const row of bucketRows) result.get(row.source)?.buckets.push(bucketOfRow(row));
  return result;
}
