// The alert state of one source, advanced one result at a time (pure). Like Kubernetes
// probes and Gatus: `failureThreshold` consecutive failing results make the source down,
// `successThreshold` consecutive passing ones make it up again. `degraded` passes: the
// dependency answers. A change while alerts are silenced (maintenance) is not announced;
// a source still down when the window ends is announced then, and a `resolved` follows only
// a `triggered` that was sent.
import type { CheckStatus } from '../checks/types.ts';
import type { AlertEventKind } from './types.ts';

export interface AlertState {
  readonly down: boolean;
  /** A `triggered` was sent for the current incident. */
  readonly notified: boolean;
  /** When the current incident's first failing result came (epoch ms); null while up. */
  readonly incidentStartedAt: number | null;
  readonly failures: number;
  readonly successes: number;
}

export const INITIAL_STATE: AlertState = { down: false, notified: false, incidentStartedAt: null, failures: 0, successes: 0 };

export interface Thresholds {
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

export interface Step {
  readonly state: AlertState;
  readonly emit: AlertEventKind | undefined;
}

export function isFailing(status: CheckStatus): boolean {
  return status === 'error' || status === 'timeout' || status === 'failed';
}

export function advance(state: AlertState, status: CheckStatus, atMs: number, thresholds: Thresholds, silenced: boolean): Step {
  if (isFailing(status)) {
    const failures = state.failures + 1;
    // The incident starts at the first failing result of the run that crossed the threshold.
    const firstFailureAt = state.failures === 0 ? atMs : (state.incidentStartedAt ?? atMs);
    if (!state.down) {
      if (failures < thresholds.failureThreshold) {
        return { state: { ...state, failures, successes: 0, incidentStartedAt: firstFailureAt }, emit: undefined };
      }
      const down: AlertState = { down: true, notified: !silenced, incidentStartedAt: firstFailureAt, failures, successes: 0 };
      return { state: down, emit: silenced ? undefined : 'triggered' };
    }
    if (!state.notified && !silenced) return { state: { ...state, notified: true, failures, successes: 0 }, emit: 'triggered' };
    return { state: { ...state, failures, successes: 0 }, emit: undefined };
  }
  const successes = state.successes + 1;
  if (!state.down) return { state: { ...INITIAL_STATE, successes }, emit: undefined };
  if (successes < thresholds.successThreshold) return { state: { ...state, failures: 0, successes }, emit: undefined };
  return { state: { ...INITIAL_STATE, successes }, emit: state.notified ? 'resolved' : undefined };
}
