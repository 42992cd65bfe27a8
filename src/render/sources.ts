// 004 `GET /healthz/sources` and Hasura's plain `GET /healthz`: the engine's snapshot in
// Hasura's terms. Pure functions; the mapping decisions are written in
// openapi/paths/sources.yaml.
import type { CheckResult } from '../checks/types.ts';
import type { AggregateStatus, SourceState } from '../engine/types.ts';
import type { HealthCheckError, SourceHealthStatus, SourcesHealth } from '../../generated/types.gen.ts';
import { hasuraStatusOf, healthzHttpCode, healthzText, type HealthzText } from './status-rules.ts';

/**
 * A check error ("redis: connect failed: connect ECONNREFUSED ...") as Hasura's
 * HealthCheckError: the "dependency: phase" head as the short `message`, the cause as `extra`.
 * A message without a cause is all `message`, with `extra` null.
 */
export function healthCheckError(text: string): HealthCheckError {
  const parts = text.split(': ');
  if (parts.length < 3) return { message: text, extra: null };
  return { message: parts.slice(0, 2).join(': '), extra: parts.slice(2).join(': ') };
}

/** RFC 3339 UTC; the engine's timestamps already are, this guards against another clock format. */
function utc(timestamp: string): string {
  const time = Date.parse(timestamp);
  return Number.isNaN(time) ? timestamp : new Date(time).toISOString();
}

/** One finished run in Hasura's HealthStatus shape, `error` as Hasura documents per status. */
export function sourceHealth(result: CheckResult): SourceHealthStatus {
  const timestamp = utc(result.timestamp);
  switch (hasuraStatusOf(result.status)) {
    case 'OK':
      return { status: 'OK', error: null, timestamp };
    case 'TIMEOUT':
      return { status: 'TIMEOUT', error: null, timestamp };
    case 'ERROR':
      return { status: 'ERROR', error: healthCheckError(result.error ?? 'check failed'), timestamp };
    case 'FAILED':
      return { status: 'FAILED', error: result.error ?? 'the source cannot be checked as configured', timestamp };
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
