// GET /v1/sources/{source}/history: a source's stored history (spans and run buckets) and its
// latest result, summed up over the documented windows. Pure; the rules are written in
// openapi/paths/history.yaml.
import type { Incident as IncidentBody, LatencySummary, SourceHistoryReport } from '../../generated/types.gen.ts';
import type { CheckResult } from '../checks/types.ts';
import { addHistograms, emptyHistogram, percentile } from '../history/latency.ts';
import type { StoredHistory } from '../history/reader.ts';
import { dailyUptime, incidentsOf, uptimeBetween } from '../history/uptime.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const HISTORY_WINDOWS = { '1h': HOUR_MS, '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS } as const;
export type HistoryWindow = keyof typeof HISTORY_WINDOWS;
const WINDOW_NAMES = Object.keys(HISTORY_WINDOWS) as HistoryWindow[];

export const HISTORY_DAYS = 90;
const MAX_INCIDENTS = 20;

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Latency over the buckets that start within the window (rounded out to whole buckets). */
export function latencyOver(history: StoredHistory, window: HistoryWindow, nowMs: number): LatencySummary {
  const from = nowMs - HISTORY_WINDOWS[window];
  let runs = 0;
  let sum = 0;
  let max = 0;
  let histogram = emptyHistogram();
  for (const bucket of history.buckets) {
    const width = bucket.width === 'day' ? DAY_MS : HOUR_MS;
    if (bucket.bucketStart + width <= from || bucket.bucketStart > nowMs) continue;
    runs += bucket.runs;
    sum += bucket.latencySumMs;
    max = Math.max(max, bucket.latencyMaxMs);
    histogram = addHistograms(histogram, bucket.histogram);
  }
  if (runs === 0) return { runs: 0, mean_ms: null, p50_ms: null, p95_ms: null, p99_ms: null, max_ms: null };
  return {
    runs,
    mean_ms: round(sum / runs, 1),
    p50_ms: percentile(histogram, 50, round(max, 1)),
    p95_ms: percentile(histogram, 95, round(max, 1)),
    p99_ms: percentile(histogram, 99, round(max, 1)),
    max_ms: round(max, 1),
  };
}

export function uptimeOver(history: StoredHistory, window: HistoryWindow, nowMs: number): number | null {
  const uptime = uptimeBetween(history.spans, nowMs - HISTORY_WINDOWS[window], nowMs);
  return uptime === null ? null : round(uptime, 6);
}

function incidentBody(incident: ReturnType<typeof incidentsOf>[number]): IncidentBody {
  return {
    status: incident.status === 'timeout' || incident.status === 'failed' ? incident.status : 'error',
    started_at: new Date(incident.startedAt).toISOString(),
    ended_at: incident.endedAt === null ? null : new Date(incident.endedAt).toISOString(),
    duration_ms: Math.max(0, Math.round(incident.durationMs)),
  };
}

export interface SourceHistoryInput {
  readonly source: string;
  readonly kind: string;
  readonly latest: CheckResult | undefined;
  readonly history: StoredHistory;
  readonly nowMs: number;
}

export function renderSourceHistory(input: SourceHistoryInput): SourceHistoryReport {
  const { history, nowMs } = input;
  const fromSeries = Math.floor((nowMs - DAY_MS) / HOUR_MS) * HOUR_MS;
  return {
    source: input.source,
    kind: input.kind,
    status: input.latest?.status ?? 'unknown',
    checked_at: input.latest?.timestamp ?? null,
    uptime: Object.fromEntries(WINDOW_NAMES.map((w) => [w, uptimeOver(history, w, nowMs)])) as SourceHistoryReport['uptime'],
    latency: Object.fromEntries(WINDOW_NAMES.map((w) => [w, latencyOver(history, w, nowMs)])) as SourceHistoryReport['latency'],
    days: dailyUptime(history.spans, HISTORY_DAYS, nowMs).map((day) => ({
      date: day.date,
      uptime: day.uptime === null ? null : round(day.uptime, 6),
    })),
    latency_series: history.buckets
      .filter((b) => b.width === 'hour' && b.bucketStart >= fromSeries && b.runs > 0)
      .sort((a, b) => a.bucketStart - b.bucketStart)
      .map((b) => ({
        hour: new Date(b.bucketStart).toISOString(),
        runs: b.runs,
        mean_ms: round(b.latencySumMs / b.runs, 1),
        max_ms: round(b.latencyMaxMs, 1),
      })),
    incidents: incidentsOf(history.spans, nowMs).slice(0, MAX_INCIDENTS).map(incidentBody),
  };
}
