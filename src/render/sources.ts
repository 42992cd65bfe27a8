// 004 `GET /healthz/sources` and Hasura's plain `GET /healthz`: the engine's snapshot in
// Hasura's terms. Pure functions; the mapping decisions are written in
// openapi/paths/sources.yaml.
import type { CheckResult, Failure } from '../checks/types.ts';
import type { AggregateStatus, SourceState } from '../engine/types.ts';
import type { HealthCheckError, SourceHealthStatus, SourcesHealth } from '../../generated/types.gen.ts';
import { healthzHttpCode, healthzText, type HealthzText } from './status-rules.ts';

/** A failed run as Hasura's HealthCheckError: the step that failed, and its cause as `extra`. */
export function healthCheckError(failure: Failure): HealthCheckError {
  return { message: failure.message, extra: failure.detail ?? null };
}

/** RFC 3339 UTC; the engine's timestamps already are, this guards against another clock format. */
function utc(timestamp: string): string {
  const time = Date.parse(timestamp);
  return Number.isNaN(time) ? timestamp : new Date(time).toISOString();
}

/** One finished run in Hasura's HealthStatus shape, `error` as Hasura documents per status. */
export function sourceHealth(result: CheckResult): SourceHealthStatus {
  const timestamp = utc(result.timestamp);
  switch (result.status) {
    case 'ok':
      return { status: 'OK', error: null, timestamp };
    case 'degraded':
      // Still OK for a Hasura client, but the reason /healthz says WARN is shown to the admin.
      return { status: 'OK', error: { message: `${result.kind}: degraded`, extra: result.error ?? null }, timestamp };
    case 'timeout':
      return { status: 'TIMEOUT', error: null, timestamp };
    case 'error':
      return { status: 'ERROR', error: healthCheckError(result.failure), timestamp };
    case 'failed':
      return { status: 'FAILED', error: result.failure.message, timestamp };
  }
}

/** Every source that has finished a run, keyed by name (Hasura fills its report the same way). */
export function renderSources(states: readonly SourceState[]): SourcesHealth {
  return Object.fromEntries(
    states.flatMap((state) => (state.latest ? [[state.definition.name, sourceHealth(state.latest)] as const] : [])),
  );
}

export interface RenderedHealthz {
  readonly httpStatus: 200 | 500;
  readonly text: HealthzText;
}

/** Hasura's `/healthz` answer for an aggregate status; `strict` fails a degraded state. */
export function renderHealthz(status: AggregateStatus, strict: boolean): RenderedHealthz {
  const text = healthzText(status, strict);
  return { httpStatus: healthzHttpCode(text), text };
}
