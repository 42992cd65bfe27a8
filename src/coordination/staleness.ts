// When a shared result is too old to speak for its source. A healthy prober publishes a new
// result at least every interval + run time, and a run is bounded by max(interval, timeout)
// (runCheck): past that, the prober is gone, paused, or this replica lost the store.
import { failureText, type CheckResult, type SourceDefinition } from '../checks/types.ts';
import type { SourceState } from '../engine/types.ts';

/** Prefix of the error message of a stale source, in every documented shape. */
export const STALE_PREFIX = 'stale';

/** Age (ms) past which `definition`'s last result no longer describes it. */
export function staleAfterMs(definition: SourceDefinition): number {
  return definition.intervalMs + Math.max(definition.intervalMs, definition.timeoutMs);
}

/** Milliseconds since `result` was taken (0 for a timestamp in the future: clock skew). */
export function resultAgeMs(result: CheckResult, nowMs: number): number {
  const taken = Date.parse(result.timestamp);
  return Number.isNaN(taken) ? Number.POSITIVE_INFINITY : Math.max(0, nowMs - taken);
}

/**
 * A stale result as every shape reports it: an `error` whose message says it is stale, how old
 * it is and what it said; `timestamp` stays the time it was taken, so its age shows. A fresh
 * result is returned as it is.
 */
export function withStaleness(state: SourceState, nowMs: number): SourceState {
  const latest = state.latest;
  if (!latest) return state;
  const age = resultAgeMs(latest, nowMs);
  if (age <= staleAfterMs(state.definition)) return state;
  const seconds = Number.isFinite(age) ? `${Math.round(age / 100) / 10} s` : 'an unknown time';
  const failure = { phase: 'staleness', message: `${STALE_PREFIX}: no fresh result: the last one (${latest.status}) is ${seconds} old` };
  // A stale result keeps its kind, but not its details: nothing measured is vouched for.
  const stale: CheckResult = {
    source: latest.source,
    kind: latest.kind,
    status: 'error',
    latencyMs: latest.latencyMs,
    error: failureText(failure),
    failure,
    timestamp: latest.timestamp,
  } as CheckResult;
  return { ...state, latest: stale };
}
