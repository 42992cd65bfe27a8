// Every status rule of Vigil in one place: which check statuses fail, how sources aggregate
// (Spring's StatusAggregator), and how each family spells a status and which HTTP code it
// answers with. Renderers take their words and codes from here; the README's table
// ("How each document's statuses map to HTTP codes") is tested against `FAMILY_HTTP_CODES`.
import type {
  AdminHealthStatus,
  ComponentHealth,
  HealthServiceStatus,
  HealthStatusValue,
  SourceHealthStatus,
  SystemCheckValue,
  SystemStatus,
} from '../../generated/types.gen.ts';
import type { CheckStatus } from '../checks/types.ts';
import type { AggregateStatus, SourceState } from '../engine/types.ts';

// --- Every family ----------------------------------------------------------------------

export type FailingStatus = Exclude<CheckStatus, 'ok' | 'degraded'>;

const FAILING: ReadonlySet<CheckStatus> = new Set<FailingStatus>(['error', 'timeout', 'failed']);

/** `error`, `timeout` or `failed`: the dependency did not answer as it should. */
export function isFailing(status: CheckStatus): status is FailingStatus {
  return FAILING.has(status);
}

/** `ok` or `degraded`: the dependency answered, so the figures of the run count. */
export function hasAnswered(status: CheckStatus | undefined): boolean {
  return status !== undefined && !FAILING.has(status);
}

export interface AggregateEntry {
  readonly critical: boolean;
  /** Undefined while the source has not finished its first run. */
  readonly status: CheckStatus | undefined;
}

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
  if (entries.some((e) => e.critical && e.status !== undefined && isFailing(e.status))) return 'unhealthy';
  if (entries.some((e) => e.status !== undefined && isFailing(e.status))) return 'degraded';
  if (entries.some((e) => e.status === 'degraded')) return 'degraded';
  if (entries.some((e) => e.status === undefined)) return 'degraded';
  return 'ok';
}

/** `aggregate` over the engine's snapshot. */
export function aggregateSources(states: readonly SourceState[]): AggregateStatus {
  return aggregate(states.map((s) => ({ critical: s.definition.critical, status: s.latest?.status })));
}

// --- The HTTP code of each family's words ----------------------------------------------

export interface FamilyHttpCodes {
  /** The endpoints answering with these words. */
  readonly endpoints: readonly string[];
  /** Word (as the body spells it) -> HTTP code. */
  readonly codes: Readonly<Record<string, number>>;
}

export const HEALTHZ_OK = 'OK';
export const HEALTHZ_WARN = 'WARN: inconsistent sources';
export const HEALTHZ_STRICT_ERROR = 'ERROR: inconsistent sources';
export const HEALTHZ_ERROR = 'ERROR';
export const PROBE_PASSED = 'ok';
export const READYZ_FAILED = 'readyz check failed';

/**
 * Spring's rule, kept by every family with a 5xx: only the worst state takes traffic away; a
 * degraded system keeps serving. 000 answers 503 for any `FAILED` check; 001's document never
 * answers 5xx; Hasura's `/healthz` keeps Hasura's 500.
 */
export const FAMILY_HTTP_CODES = {
  system: {
    endpoints: ['/api/v1/system-health-check'],
    codes: { OK: 200, DEGRADED: 200, NOT_CONFIGURED: 200, FAILED: 503 },
  },
  health: { endpoints: ['/health', '/health/detailed'], codes: { ok: 200, degraded: 200 } },
  admin: { endpoints: ['/v1/health', '/v1/admin/health'], codes: { healthy: 200, degraded: 200, unhealthy: 503 } },
  status: { endpoints: ['/health/status'], codes: { ok: 200, degraded: 200, unhealthy: 503 } },
  healthz: {
    endpoints: ['/healthz'],
    codes: { [HEALTHZ_OK]: 200, [HEALTHZ_WARN]: 200, [HEALTHZ_STRICT_ERROR]: 500, [HEALTHZ_ERROR]: 500 },
  },
  sources: { endpoints: ['/healthz/sources'], codes: { OK: 200, TIMEOUT: 200, ERROR: 200, FAILED: 200 } },
  readyz: { endpoints: ['/readyz'], codes: { [PROBE_PASSED]: 200, [READYZ_FAILED]: 503 } },
  livez: { endpoints: ['/livez'], codes: { [PROBE_PASSED]: 200 } },
} as const satisfies Readonly<Record<string, FamilyHttpCodes>>;

type Codes = typeof FAMILY_HTTP_CODES;

// --- 000 system health check -----------------------------------------------------------

/** A mapped component's value from its source's last status (not checked yet is a failure). */
export function systemCheckValue(status: CheckStatus | undefined): Exclude<SystemCheckValue, 'NOT_CONFIGURED'> {
  if (status === 'ok') return 'OK';
  if (status === 'degraded') return 'DEGRADED';
  return 'FAILED';
}

/** 503 as soon as one check is `FAILED` or no admin user exists; else 200. */
export function systemHttpCode(checks: readonly SystemCheckValue[], noAdminUser: boolean): 200 | 503 {
  const { codes } = FAMILY_HTTP_CODES.system;
  return noAdminUser || checks.some((value) => codes[value] !== 200) ? codes.FAILED : 200;
}

// --- 001 health ------------------------------------------------------------------------

/** A service's status; not checked yet is `degraded`: Vigil cannot vouch for it. */
export function healthServiceStatus(status: CheckStatus | undefined): HealthServiceStatus['status'] {
  if (status === undefined) return 'degraded';
  if (isFailing(status)) return 'error';
  return status;
}

/** The document's rule: ok when every service is ok, degraded otherwise (never a 5xx). */
export function healthOverall(services: readonly HealthServiceStatus['status'][]): HealthStatusValue {
  return services.every((status) => status === 'ok') ? 'ok' : 'degraded';
}

// --- 002 admin health ------------------------------------------------------------------

export function adminStatus(status: AggregateStatus): AdminHealthStatus {
  return status === 'ok' ? 'healthy' : status;
}

export function adminHttpCode(status: AdminHealthStatus): Codes['admin']['codes'][AdminHealthStatus] {
  return FAMILY_HTTP_CODES.admin.codes[status];
}

// --- 003 status ------------------------------------------------------------------------

export type ComponentStatus = ComponentHealth['status'];
export type StatusOverall = SystemStatus['status'];

/** A component's status; `unknown` until its first run finishes. */
export function componentStatus(status: CheckStatus | undefined): ComponentStatus {
  if (status === undefined) return 'unknown';
  if (isFailing(status)) return 'unhealthy';
  return status;
}

/** The document's rule: any unhealthy component makes the whole unhealthy. */
export function statusOverall(components: readonly ComponentStatus[]): StatusOverall {
  if (components.includes('unhealthy')) return 'unhealthy';
  if (components.includes('degraded') || components.includes('unknown')) return 'degraded';
  return 'ok';
}

export function statusHttpCode(overall: StatusOverall): Codes['status']['codes'][StatusOverall] {
  return FAMILY_HTTP_CODES.status.codes[overall];
}

// --- 004 Hasura's sources and /healthz -------------------------------------------------

export type HasuraStatus = SourceHealthStatus['status'];

const HASURA_STATUS: Readonly<Record<CheckStatus, HasuraStatus>> = {
  // The source answered and its test passed; its `error` says why it is degraded.
  ok: 'OK',
  degraded: 'OK',
  error: 'ERROR',
  timeout: 'TIMEOUT',
  failed: 'FAILED',
};

export function hasuraStatusOf(status: CheckStatus): HasuraStatus {
  return HASURA_STATUS[status];
}

export type HealthzText = keyof Codes['healthz']['codes'];

/** Hasura's `/healthz` words for an aggregate status; `strict` fails a degraded state. */
export function healthzText(status: AggregateStatus, strict: boolean): HealthzText {
  switch (status) {
    case 'ok':
      return HEALTHZ_OK;
    case 'degraded':
      return strict ? HEALTHZ_STRICT_ERROR : HEALTHZ_WARN;
    case 'unhealthy':
      return HEALTHZ_ERROR;
  }
}

export function healthzHttpCode(text: HealthzText): Codes['healthz']['codes'][HealthzText] {
  return FAMILY_HTTP_CODES.healthz.codes[text];
}

// --- Kubernetes probes -----------------------------------------------------------------

/** Readiness of one source: a critical source gates traffic until it has answered. */
export function sourceReady(state: SourceState): boolean {
  return !state.definition.critical || hasAnswered(state.latest?.status);
}

export function probeHttpCode(passed: boolean): 200 | 503 {
  return passed ? FAMILY_HTTP_CODES.readyz.codes[PROBE_PASSED] : FAMILY_HTTP_CODES.readyz.codes[READYZ_FAILED];
}
