// 001 Health Check: /health, /health/detailed, /health/consistency, /api/v1/stats/sftpgo.
// Pure functions from the engine's snapshot (and Vigil's own migration status) to the
// documented shapes; the decisions behind each mapping are written in openapi/paths/health.yaml.
import type {
  HealthBasic,
  HealthConsistencyReport,
  HealthDetailedReport,
  HealthIdentities,
  HealthIntegration,
  HealthPipeline,
  HealthResources,
  HealthSchema,
  HealthServiceStatus,
  HealthStatusValue,
  SftpgoActive,
  SftpgoStats,
} from '../../generated/types.gen.ts';
import type { AppMigrationStatus } from '../checks/app-migrations.ts';
import type { FilesystemDetails } from '../checks/details.ts';
import { detailsOf } from '../checks/types.ts';
import type { BuildInfo } from '../http/types.ts';
import type { SourceState } from '../engine/types.ts';
import type { MigrationStatus } from '../store/types.ts';
import type { HealthFamilyConfig } from '../config/families/health.ts';
import { hasAnswered, healthOverall, healthServiceStatus } from './status-rules.ts';

/** The engine's snapshot, by source name. */
export type SourceLookup = (name: string) => SourceState | undefined;

export function lookupOf(states: readonly SourceState[]): SourceLookup {
  const byName = new Map(states.map((state) => [state.definition.name, state]));
  return (name) => byName.get(name);
}

/** What an endpoint answers when it has nothing to report (a 503 in the family's error shape). */
export interface Unavailable {
  readonly unavailable: string;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function latencyOf(latencyMs: number): number {
  return Math.max(0, Math.round(latencyMs));
}

export function serviceStatus(state: SourceState | undefined): HealthServiceStatus {
  // Not checked yet: Vigil cannot vouch for it, so it is not ok.
  const latest = state?.latest;
  return { status: healthServiceStatus(latest?.status), latency_ms: latest ? latencyOf(latest.latencyMs) : null };
}

function overallStatus(services: readonly HealthServiceStatus[]): HealthStatusValue {
  return healthOverall(services.map((service) => service.status));
}

function services(config: HealthFamilyConfig, lookup: SourceLookup): Record<string, HealthServiceStatus> {
  return Object.fromEntries(config.services.map((name) => [name, serviceStatus(lookup(name))]));
}

export interface BasicHealthInput {
  readonly config: HealthFamilyConfig;
  readonly lookup: SourceLookup;
  readonly build: BuildInfo;
  readonly startedAtMs: number;
  readonly nowMs: number;
}

/** `uptime_ms`: whole milliseconds since start, never negative (a clock stepped back). */
export function uptimeMs(startedAtMs: number, nowMs: number): number {
  return Math.max(0, Math.round(nowMs - startedAtMs));
}

export function renderHealthBasic(input: BasicHealthInput): HealthBasic {
  return {
    status: overallStatus(Object.values(services(input.config, input.lookup))),
    version: input.build.version,
    build_git_hash: input.build.gitHash,
    build_timestamp: input.build.buildTimestamp,
    uptime_ms: uptimeMs(input.startedAtMs, input.nowMs),
  };
}

function resources(name: string | undefined, lookup: SourceLookup): HealthResources | null {
  if (name === undefined) return null;
  const details = detailsOf(lookup(name)?.latest, 'resources');
  if (!details) return null;
  return {
    cpu_used_percent: details.cpu_used_percent,
    memory_available_mb: details.memory_available_mb,
    memory_used_percent: details.memory_used_percent,
  };
}

function filesystem(name: string | undefined, lookup: SourceLookup): FilesystemDetails | undefined {
  return name === undefined ? undefined : detailsOf(lookup(name)?.latest, 'filesystem');
}

function pipeline(config: HealthFamilyConfig['pipeline'], lookup: SourceLookup): HealthPipeline | null {
  if (!config) return null;
  const scripts = filesystem(config.scripts, lookup);
  const models = filesystem(config.models, lookup);
  const ffmpeg = scripts?.executables[config.ffmpeg] ?? models?.executables[config.ffmpeg];
  return {
    scripts_ready: scripts?.directory_exists === true,
    scripts_count: scripts ? scripts.files_count : null,
    processors: { ...(scripts?.entries ?? {}) },
    models_ready: models?.directory_exists === true,
    models_count: models ? models.files_count : null,
    scripts_integrity: scripts?.integrity ? { ...scripts.integrity } : null,
    ffmpeg: ffmpeg ?? null,
  };
}

/** Vigil's own migration status, or the watched application's (where `applied_at` may be unknown). */
type SchemaStatus = MigrationStatus | AppMigrationStatus;

/** The watched application's migration status, from the last run of the `schema` source. */
function appMigrations(name: string, lookup: SourceLookup): AppMigrationStatus | undefined {
  const latest = lookup(name)?.latest;
  return (detailsOf(latest, 'postgres') ?? detailsOf(latest, 'mysql'))?.migrations;
}

export function schema(status: SchemaStatus | undefined): HealthSchema {
  // The store (or the application's source) could not be read: nothing is known to be applied.
  if (!status) return { table_exists: false, applied: [], required: [], ok: false };
  return {
    table_exists: status.table_exists,
    applied: status.applied.map((m) => ({ filename: m.filename, ...(m.applied_at !== undefined ? { applied_at: m.applied_at } : {}) })),
    required: [...status.required],
    ok: status.table_exists && status.required.length === 0,
  };
}

/** A count as the SQL driver gave it (number, bigint or numeric string), or null. */
function countOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' || typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function identities(config: HealthFamilyConfig['identities'], lookup: SourceLookup): HealthIdentities | null {
  if (!config) return null;
  const directory = filesystem(config.directory, lookup);
  const sql = detailsOf(lookup(config.count)?.latest, 'postgres', 'mysql');
  const directoryExists = directory?.directory_exists === true;
  const filesCount = directory ? directory.files_count : null;
  const dbCount = countOf(sql?.first_row?.[config.column]);
  return {
    directory_exists: directoryExists,
    files_count: filesCount,
    index_ok: directoryExists && Object.values(directory?.entries ?? {}).every(Boolean),
    db_count: dbCount,
    synced: directoryExists && filesCount !== null && dbCount !== null && filesCount === dbCount,
  };
}

function reachable(source: string | undefined, lookup: SourceLookup): boolean | null {
  const latest = source === undefined ? undefined : lookup(source)?.latest;
  if (!latest) return null;
  return hasAnswered(latest.status);
}

function integrations(config: HealthFamilyConfig['integrations'], lookup: SourceLookup): Record<string, HealthIntegration> {
  return Object.fromEntries(
    Object.entries(config).map(([name, item]) => [
      name,
      {
        api_key_configured: item.apiKeyConfigured,
        enabled: item.enabled,
        api_reachable: item.enabled ? reachable(item.source, lookup) : null,
      },
    ]),
  );
}

export interface DetailedHealthInput {
  readonly config: HealthFamilyConfig;
  readonly lookup: SourceLookup;
  readonly build: BuildInfo;
  /** Vigil's migration status (used without families.health.schema); undefined when the store could not be read. */
  readonly migrations: MigrationStatus | undefined;
}

export function renderHealthDetailed(input: DetailedHealthInput): HealthDetailedReport {
  const { config, lookup } = input;
  const byService = services(config, lookup);
  return {
    status: overallStatus(Object.values(byService)),
    version: input.build.version,
    services: byService,
    resources: resources(config.resources, lookup),
    pipeline: pipeline(config.pipeline, lookup),
    schema: schema(config.schema === undefined ? input.migrations : appMigrations(config.schema, lookup)),
    identities: identities(config.identities, lookup),
    config: { ...config.toggles },
    integrations: integrations(config.integrations, lookup),
  };
}

export function renderConsistency(state: SourceState | undefined): HealthConsistencyReport | Unavailable {
  if (!state) return { unavailable: 'no consistency source is configured (families.health.consistency)' };
  const latest = state.latest;
  if (!latest) return { unavailable: 'the first consistency scan has not finished yet' };
  const details = detailsOf(latest, 'consistency');
  if (!hasAnswered(latest.status) || !details) {
    return { unavailable: `the last consistency scan failed: ${latest.error ?? latest.status}` };
  }
  const checks = details.checks.map((c) => ({ check: c.check, severity: c.severity, count: c.count, files: c.files.map((f) => ({ ...f })) }));
  return {
    status: checks.some((c) => c.count > 0) ? 'degraded' : 'ok',
    checked_at: latest.timestamp,
    checks,
  };
}

function active(value: unknown): SftpgoActive | undefined {
  return isRecord(value) && typeof value.is_active === 'boolean' ? { is_active: value.is_active } : undefined;
}

/** SFTPGo's ServicesStatus (`/api/v2/status`), reduced to what may be public. */
function sftpgoServices(json: unknown): { services: Record<string, SftpgoActive> | null; dataProvider: SftpgoActive | null } {
  if (!isRecord(json)) return { services: null, dataProvider: null };
  const found = Object.entries(json).flatMap(([name, value]) => {
    const state = name === 'data_provider' ? undefined : active(value);
    return state ? [[name, state] as const] : [];
  });
  return { services: found.length > 0 ? Object.fromEntries(found) : null, dataProvider: active(json.data_provider) ?? null };
}

/** SFTPGo's /healthz answers 503 while its data provider is unreachable: up, but degraded. */
const SFTPGO_UNHEALTHY = 503;

/**
 * What SFTPGo said, whatever the source made of it: an SFTPGo that answered is up, so its
 * status body (kept in the details even when the source's condition failed) is reported and
 * a failed source reads `degraded`. `error` (fields null) is only for an SFTPGo that did not
 * answer, or answered neither its status body nor /healthz's 503.
 */
export function renderSftpgo(state: SourceState | undefined): SftpgoStats | Unavailable {
  if (!state) return { unavailable: 'no SFTPGo source is configured (families.health.sftpgo)' };
  const latest = state.latest;
  if (!latest) return { unavailable: 'SFTPGo has not been checked yet' };
  const base = { latency_ms: latencyOf(latest.latencyMs), checked_at: latest.timestamp };
  const details = detailsOf(latest, 'http');
  const { services: reported, dataProvider } = sftpgoServices(details?.json);
  const saidSomething = reported !== null || dataProvider !== null || details?.status_code === SFTPGO_UNHEALTHY;
  if (!hasAnswered(latest.status) && !saidSomething) return { status: 'error', ...base, services: null, data_provider: null };
  const degraded = latest.status !== 'ok' || dataProvider?.is_active === false;
  return { status: degraded ? 'degraded' : 'ok', ...base, services: reported, data_provider: dataProvider };
}

export function isUnavailable<T extends object>(value: T | Unavailable): value is Unavailable {
  return 'unavailable' in value;
}
