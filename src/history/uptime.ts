// Uptime, daily bars and incidents from a source's status changes. Pure: the store hands in
// the changes, these functions weigh them by time. A source counts as up while its status is
// `ok` or `degraded` (it answers); `error`, `timeout` and `failed` count as down.
import type { CheckStatus } from '../checks/types.ts';

/** One stretch of time during which a source kept one status. */
export interface StatusSpan {
  readonly status: CheckStatus;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** Epoch milliseconds; null while the span is still open (the current status). */
  readonly endedAt: number | null;
}

export interface Incident {
  /** The worst status seen during the incident. */
  readonly status: CheckStatus;
  readonly startedAt: number;
  /** Null while the incident is ongoing. */
  readonly endedAt: number | null;
  readonly durationMs: number;
}

export interface DayUptime {
  /** UTC date, YYYY-MM-DD. */
  readonly date: string;
  /** Share of the observed part of the day the source was up, 0..1; null when not observed. */
  readonly uptime: number | null;
}

const DAY_MS = 86_400_000;
const SEVERITY: Readonly<Record<CheckStatus, number>> = { ok: 0, degraded: 1, timeout: 2, error: 3, failed: 4 };

export function isUp(status: CheckStatus): boolean {
  return status === 'ok' || status === 'degraded';
}

/**
 * Share of the observed time within [fromMs, toMs) the source was up, 0..1, or null when no
 * span overlaps the window. Time before the first span (Vigil was not watching) and gaps
 * between closed spans (Vigil was stopped) are not observed and count neither way.
 */
export function uptimeBetween(spans: readonly StatusSpan[], fromMs: number, toMs: number): number | null {
  let observed = 0;
  let up = 0;
  for (const span of spans) {
    const start = Math.max(span.startedAt, fromMs);
    const end = Math.min(span.endedAt ?? toMs, toMs);
    if (end <= start) continue;
    observed += end - start;
    if (isUp(span.status)) up += end - start;
  }
  return observed === 0 ? null : up / observed;
}

/** The last `days` UTC days, oldest first, the last one being today (observed up to nowMs). */
export function dailyUptime(spans: readonly StatusSpan[], days: number, nowMs: number): DayUptime[] {
  const todayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const result: DayUptime[] = [];
  for (let i = days - 1; i >= 0; i -= 1) {
    const from = todayStart - i * DAY_MS;
    const to = Math.min(from + DAY_MS, nowMs);
    result.push({ date: new Date(from).toISOString().slice(0, 10), uptime: uptimeBetween(spans, from, to) });
  }
  return result;
}

/**
 * Down periods, newest first: consecutive down spans (e.g. `timeout` then `error`) are one
 * incident, which ends when the source is up again. A gap in observation also ends it, at the
 * end of the last down span, because nothing is known of the time after.
 */
export function incidentsOf(spans: readonly StatusSpan[], nowMs: number): Incident[] {
  const ordered = [...spans].sort((a, b) => a.startedAt - b.startedAt);
  const incidents: Incident[] = [];
  let open: { status: CheckStatus; startedAt: number; endedAt: number | null } | undefined;
  const close = () => {
    if (!open) return;
    const end = open.endedAt ?? nowMs;
    incidents.push({ status: open.status, startedAt: open.startedAt, endedAt: open.endedAt, durationMs: end - open.startedAt });
    open = undefined;
  };
  for (const span of ordered) {
    if (isUp(span.status)) {
      close();
      continue;
    }
    if (open && open.endedAt !== null && open.endedAt < span.startedAt) close();
    if (!open) open = { status: span.status, startedAt: span.startedAt, endedAt: span.endedAt };
    else {
      if (SEVERITY[span.status] > SEVERITY[open.status]) open.status = span.status;
      open.endedAt = span.endedAt;
    }
  }
  close();
  return incidents.reverse();
}

/**
 * The stored spans brought up to the engine's latest result: the store is written in batches,
 * so a status change seen a moment ago may not be stored yet. The page and the history answer
 * show it at once as an open span (the store gets the same span at its next flush).
 */
export function withLatest(spans: readonly StatusSpan[], latest: { readonly status: CheckStatus; readonly at: number } | undefined): StatusSpan[] {
  if (!latest || !Number.isFinite(latest.at)) return [...spans];
  const last = spans.at(-1);
  if (last && last.endedAt === null && (last.status === latest.status || last.startedAt >= latest.at)) return [...spans];
  const closed = last && last.endedAt === null ? [...spans.slice(0, -1), { ...last, endedAt: latest.at }] : [...spans];
  return [...closed, { status: latest.status, startedAt: latest.at, endedAt: null }];
}
