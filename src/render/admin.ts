// 002's health: the database and cache components' engine state -> the public body
// (`GET /v1/health`, reasons withheld) or the admin body (`GET /v1/admin/health`, reasons and
// `source_hash`). Pure: every figure comes from the components' last successful probe.
import { detailsOf, type CheckResult } from '../checks/types.ts';
import { adminHttpCode, adminStatus, aggregate, hasAnswered, type AggregateEntry } from './status-rules.ts';
import type {
  AdminCacheStatistics as CacheStatistics,
  AdminDbStatistics as DbStatistics,
  AdminHealthReport as AdminHealthBody,
  AdminHealthStatus,
  PublicHealthReport as PublicHealthBody,
} from '../../generated/types.gen.ts';

export interface HealthReport<Body> {
  /** 200 for healthy and degraded, 503 for unhealthy. */
  readonly status: 200 | 503;
  readonly body: Body;
}

/** What the renderer reads of one component's source in the engine's snapshot. */
export interface ComponentState {
  /** The source's `critical` flag: its failure makes the system unhealthy, else degraded. */
  readonly critical: boolean;
  /** Undefined until its first probe finishes. */
  readonly latest: CheckResult | undefined;
}

export interface AdminHealthInput {
  /** The `families.admin.database` source's state; null when not configured. */
  readonly database: ComponentState | null;
  /** The `families.admin.cache` source's state; null when not configured. */
  readonly cache: ComponentState | null;
  readonly startedAt: Date;
}

type Component = 'database' | 'cache';

/** The last result when it succeeded (ok or degraded): the only one whose figures count. */
function measured(state: ComponentState | null): CheckResult | undefined {
  const latest = state?.latest;
  return latest && hasAnswered(latest.status) ? latest : undefined;
}

// The contract's figures are non-negative; a figure outside it becomes null, never invented.
function count(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

function amount(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** `db_statistics` from SqlDetails (`pool` and `query_latency_ms`). */
export function dbStatistics(state: ComponentState | null): DbStatistics {
  const details = detailsOf(measured(state), 'postgres', 'mysql');
  const pool = details?.pool;
  return {
    size: count(pool?.size),
    checked_in: count(pool?.checked_in),
    checked_out: count(pool?.checked_out),
    overflow: count(pool?.waiting),
    total: count(pool?.total),
    latency_ms: amount(details?.query_latency_ms),
  };
}

/** `cache_statistics` from RedisDetails (INFO figures and `ping_latency_ms`). */
export function cacheStatistics(state: ComponentState | null): CacheStatistics {
  const details = detailsOf(measured(state), 'redis');
  const hitRate = amount(details?.hit_rate);
  return {
    memory_usage_bytes: count(details?.memory_usage_bytes),
    total_keys: count(details?.total_keys),
    connected_clients: count(details?.connected_clients),
    uptime_seconds: count(details?.uptime_seconds),
    evicted_keys: count(details?.evicted_keys),
    hit_rate: hitRate !== null && hitRate <= 100 ? hitRate : null,
    total_commands_processed: count(details?.total_commands_processed),
    latency_ms: amount(details?.ping_latency_ms),
  };
}

/** One `errors` entry per component that is not plainly up; `reasons` adds the probe's message. */
function componentErrors(component: Component, state: ComponentState | null, reasons: boolean): string[] {
  if (state === null) return [`${component}: not configured`];
  const latest = state.latest;
  if (!latest) return [`${component}: not checked yet`];
  switch (latest.status) {
    case 'ok':
      return [];
    case 'degraded':
      return [reasons && latest.error ? `${component}: degraded: ${latest.error}` : `${component}: degraded`];
    default:
      return [reasons ? `${component}: ${latest.error ?? latest.status}` : `${component}: unavailable`];
  }
}

function entryOf(state: ComponentState | null): AggregateEntry {
  // A component nobody configured cannot be called healthy, nor down: the aggregate's
  // "no result" rule makes it degraded.
  return state === null ? { critical: false, status: undefined } : { critical: state.critical, status: state.latest?.status };
}

export function overallStatus(input: Pick<AdminHealthInput, 'database' | 'cache'>): AdminHealthStatus {
  return adminStatus(aggregate([entryOf(input.database), entryOf(input.cache)]));
}

function renderBody(input: AdminHealthInput, reasons: boolean): PublicHealthBody {
  return {
    status: overallStatus(input),
    database: measured(input.database) !== undefined,
    cache: measured(input.cache) !== undefined,
    started_at: input.startedAt.toISOString(),
    db_statistics: dbStatistics(input.database),
    cache_statistics: cacheStatistics(input.cache),
    errors: [...componentErrors('database', input.database, reasons), ...componentErrors('cache', input.cache, reasons)],
  };
}

/** `GET /v1/health`: no source_hash, and errors name the component and problem only. */
export function renderPublicHealth(input: AdminHealthInput): HealthReport<PublicHealthBody> {
  const body = renderBody(input, false);
  return { status: adminHttpCode(body.status), body };
}

/** `GET /v1/admin/health`: the public body with the probes' reasons, plus `source_hash`. */
export function renderAdminHealth(input: AdminHealthInput & { readonly sourceHash: string }): HealthReport<AdminHealthBody> {
  const body = { ...renderBody(input, true), source_hash: input.sourceHash };
  return { status: adminHttpCode(body.status), body };
}
