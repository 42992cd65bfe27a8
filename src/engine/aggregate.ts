// The overall status across sources, decided in one place (Spring's StatusAggregator).
import type { CheckStatus } from '../checks/types.ts';
import type { AggregateStatus, SourceState } from './types.ts';

export interface AggregateEntry {
  readonly critical: boolean;
  /** Undefined while the source has not finished its first run. */
  readonly status: CheckStatus | undefined;
}

const FAILING: ReadonlySet<CheckStatus> = new Set(['error', 'timeout', 'failed']);

/**
 * Rules, first match wins:
 * 1. a critical source that is `error`, `timeout` or `failed` -> `unhealthy`;
 * 2. any other failing source (non-critical) -> `degraded`;
 * 3. any `degraded` source, critical or not -> `degraded`;
 * 4. any source without a result yet -> `degraded`: it cannot be called ok before it was
 *    probed, nor down without evidence (the engine's ready() makes this a start-up moment);
 * 5. otherwise (every source ok, or no sources at all) -> `ok`.
 */
export function aggregate(entries: readonly AggregateEntry[]): AggregateStatus {
  if (entries.some((e) => e.critical && e.status !== undefined && FAILING.has(e.status))) return 'unhealthy';
  if (entries.some((e) => e.status !== undefined && FAILING.has(e.status))) return 'degraded';
  if (entries.some((e) => e.status === 'degraded')) return 'degraded';
  if (entries.some((e) => e.status === undefined)) return 'degraded';
  return 'ok';
}

/** `aggregate` over the engine's snapshot. */
export function aggregateSources(states: readonly SourceState[]): AggregateStatus {
  return aggregate(states.map((s) => ({ critical: s.definition.critical, status: s.latest?.status })));
}
