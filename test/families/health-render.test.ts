import { checkResult } from '../support/source-states.ts';
import { describe, expect, it } from 'vitest';
import type { CheckResult, CheckStatus, SourceDefinition } from '../../src/checks/types.ts';
import type { SourceState } from '../../src/engine/types.ts';
import { parseHealthConfig } from '../../src/config/families/health.ts';
import {
  lookupOf,
  renderConsistency,
  renderHealthBasic,
  renderHealthDetailed,
  renderSftpgo,
  serviceStatus,
} from '../../src/render/health.ts';
import type { MigrationStatus } from '../../src/store/types.ts';
import { sourceDefinition as definition } from '../support/source-states.ts';

function result(name: string, kind: string, status: CheckStatus, latencyMs: number, details?: Record<string, unknown>, error?: string): CheckResult {
  return checkResult({ source: name, kind, status, latencyMs, timestamp: '2026-05-18T17:30:00.000Z', details, ...(error ? { error } : {}) });
}

function state(def: SourceDefinition, latest?: CheckResult): SourceState {
  return { definition: def, latest };
}

const BUILD = { version: '1.2.3', gitHash: 'abc1234', buildTimestamp: '2026-05-16T13:38:15Z' };

const DEFS = {
  postgres: definition('postgres', 'postgres'),
  redis: definition('redis', 'redis'),
  qdrant: definition('qdrant', 'qdrant'),
  host: definition('host', 'resources'),
  scripts: definition('scripts', 'filesystem'),
  models: definition('models', 'filesystem'),
  idDir: definition('id-dir', 'filesystem'),
  idCount: definition('id-count', 'postgres'),
  consistency: definition('app-consistency', 'consistency'),
  sftpgo: definition('sftpgo', 'http'),
  tmdb: definition('tmdb-api', 'http'),
};
const ALL = Object.values(DEFS);

const SECTION = {
  services: ['postgres', 'redis', 'qdrant'],
  resources: 'host',
  pipeline: { scripts: 'scripts', models: 'models' },
  identities: { directory: 'id-dir', count: 'id-count' },
  consistency: 'app-consistency',
  sftpgo: 'sftpgo',
  config: { cache: true, auto_pipeline: false, watcher: true },
  integrations: {
    tmdb: { source: 'tmdb-api', api_key: { env: 'VIGIL_TEST_TMDB_KEY' } },
    other: { source: 'tmdb-api', enabled: false },
  },
};
const CONFIG = parseHealthConfig(SECTION, ALL, { VIGIL_TEST_TMDB_KEY: 'k-123456' });

function fsDetails(filesCount: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { path: '/x', directory_exists: true, files_count: filesCount, entries: {}, integrity: null, executables: {}, ...extra };
}

describe('health family configuration', () => {
  it('derives services from every dependency source when the section omits them', () => {
    expect(parseHealthConfig(undefined, ALL).services).toEqual(['postgres', 'redis', 'qdrant', 'id-count', 'sftpgo', 'tmdb-api']);
  });

  it('keeps only whether an API key is set, and enables an integration with a key by default', () => {
    expect(CONFIG.integrations).toEqual({
      tmdb: { source: 'tmdb-api', apiKeyConfigured: true, enabled: true },
      other: { source: 'tmdb-api', apiKeyConfigured: false, enabled: false },
    });
    expect(JSON.stringify(CONFIG)).not.toContain('k-123456');
  });

  it.each([
    ['a section that is a list', [], /^families\.health: must be a mapping/],
    ['an unknown key', { servics: [] }, /^families\.health\.servics: unknown key/],
    ['a service that does not exist', { services: ['nope'] }, /^families\.health\.services\[0\]: no source named "nope"/],
    ['a service listed twice', { services: ['redis', 'redis'] }, /^families\.health\.services: lists "redis" twice/],
    ['resources of the wrong kind', { resources: 'redis' }, /^families\.health\.resources: source "redis" is of kind "redis"; expected a "resources" source/],
    ['a pipeline naming no source', { pipeline: {} }, /^families\.health\.pipeline: must name a "scripts" or a "models" source/],
    ['identities without a count', { identities: { directory: 'id-dir' } }, /^families\.health\.identities\.count: must be set/],
    ['an identities count that is not SQL', { identities: { directory: 'id-dir', count: 'redis' } }, /expected a "postgres" or "mysql" source/],
    ['a consistency source of the wrong kind', { consistency: 'postgres' }, /^families\.health\.consistency: .*expected a "consistency" source/],
    ['a toggle that is not a boolean', { config: { cache: 'yes' } }, /^families\.health\.config\.cache: must be true or false/],
    ['an integration with a bad key', { integrations: { tmdb: { api_key: 42 } } }, /^families\.health\.integrations\.tmdb\.api_key: must be the key/],
    ['an integration with an unknown key', { integrations: { tmdb: { url: 'x' } } }, /^families\.health\.integrations\.tmdb\.url: unknown key/],
  ])('refuses %s, naming the key', (_title, section, message) => {
    expect(() => parseHealthConfig(section, ALL)).toThrow(message);
  });
});

describe('GET /health renderer', () => {
  it.each<[string, CheckStatus | undefined, 'ok' | 'degraded']>([
    ['all services ok', 'ok', 'ok'],
    ['Redis error', 'error', 'degraded'],
    ['Redis timed out', 'timeout', 'degraded'],
    ['Redis misconfigured', 'failed', 'degraded'],
    ['Redis degraded', 'degraded', 'degraded'],
    ['Redis not checked yet', undefined, 'degraded'],
  ])('%s -> %s', (_title, redis, expected) => {
    const states = [
      state(DEFS.postgres, result('postgres', 'postgres', 'ok', 3)),
      state(DEFS.redis, redis ? result('redis', 'redis', redis, 1, undefined, 'redis: PING failed: secret stuff') : undefined),
      state(DEFS.qdrant, result('qdrant', 'qdrant', 'ok', 5)),
    ];
    const body = renderHealthBasic({ config: CONFIG, lookup: lookupOf(states), build: BUILD, startedAtMs: 1_000, nowMs: 4_015.4 });
    expect(body).toEqual({ status: expected, version: '1.2.3', build_git_hash: 'abc1234', build_timestamp: '2026-05-16T13:38:15Z', uptime_ms: 3015 });
  });

  it.each<[CheckStatus | undefined, string, number | null]>([
    ['ok', 'ok', 3],
    ['degraded', 'degraded', 3],
    ['error', 'error', 3],
    ['timeout', 'error', 3],
    ['failed', 'error', 3],
    [undefined, 'degraded', null],
  ])('maps an engine status of %s to a service status of %s', (status, expected, latency) => {
    const latest = status ? result('redis', 'redis', status, 2.6) : undefined;
    expect(serviceStatus(state(DEFS.redis, latest))).toEqual({ status: expected, latency_ms: latency });
  });
});

const MIGRATIONS: MigrationStatus = {
  table_exists: true,
  applied: [{ filename: '001_init.sql', applied_at: '2026-05-18T17:00:00.000Z' }],
  required: [],
};

function detailedStates(overrides: Partial<Record<keyof typeof DEFS, CheckResult | undefined>> = {}): SourceState[] {
  const base: Record<keyof typeof DEFS, CheckResult | undefined> = {
    postgres: result('postgres', 'postgres', 'ok', 3.2),
    redis: result('redis', 'redis', 'ok', 0.6),
    qdrant: result('qdrant', 'qdrant', 'ok', 5),
    host: result('host', 'resources', 'ok', 100, { cpu_used_percent: 12.5, memory_available_mb: 32768, memory_used_percent: 31.7 }),
    scripts: result('scripts', 'filesystem', 'degraded', 4, fsDetails(345, {
      entries: { asr: true, yolo: false },
      integrity: { matched: 332, total: 345, ok: false },
      executables: { ffmpeg: true },
    })),
    models: result('models', 'filesystem', 'ok', 1, fsDetails(42)),
    idDir: result('id-dir', 'filesystem', 'ok', 1, fsDetails(3481, { entries: { 'index.json': true } })),
    idCount: result('id-count', 'postgres', 'ok', 2, { server_version: '15', query_latency_ms: 1, pool: {}, first_row: { count: 3481 } }),
    consistency: undefined,
    sftpgo: undefined,
    tmdb: result('tmdb-api', 'http', 'error', 2000, undefined, 'http: GET failed'),
  };
  const merged = { ...base, ...overrides };
  return (Object.keys(DEFS) as (keyof typeof DEFS)[]).map((key) => state(DEFS[key], merged[key]));
}

describe('GET /health/detailed renderer', () => {
  it('reports every block from the sources it measured', () => {
    const body = renderHealthDetailed({ config: CONFIG, lookup: lookupOf(detailedStates()), build: BUILD, migrations: MIGRATIONS });
    expect(body).toEqual({
      status: 'ok',
      version: '1.2.3',
      services: { postgres: { status: 'ok', latency_ms: 3 }, redis: { status: 'ok', latency_ms: 1 }, qdrant: { status: 'ok', latency_ms: 5 } },
      resources: { cpu_used_percent: 12.5, memory_available_mb: 32768, memory_used_percent: 31.7 },
      pipeline: {
        scripts_ready: true,
        scripts_count: 345,
        processors: { asr: true, yolo: false },
        models_ready: true,
        models_count: 42,
        scripts_integrity: { matched: 332, total: 345, ok: false },
        ffmpeg: true,
      },
      schema: { table_exists: true, applied: [{ filename: '001_init.sql', applied_at: '2026-05-18T17:00:00.000Z' }], required: [], ok: true },
      identities: { directory_exists: true, files_count: 3481, index_ok: true, db_count: 3481, synced: true },
      config: { cache: true, auto_pipeline: false, watcher: true },
      integrations: {
        tmdb: { api_key_configured: true, enabled: true, api_reachable: false },
        other: { api_key_configured: false, enabled: false, api_reachable: null },
      },
    });
  });

  it.each<[string, Partial<Record<keyof typeof DEFS, CheckResult | undefined>>, (body: ReturnType<typeof renderHealthDetailed>) => unknown, unknown]>([
    ['a service error degrades the status', { postgres: result('postgres', 'postgres', 'error', 1) }, (b) => b.status, 'degraded'],
    ['a failed resources run gives null resources', { host: result('host', 'resources', 'error', 1) }, (b) => b.resources, null],
    ['a missing scripts directory is not ready, with its measured count', {
      scripts: result('scripts', 'filesystem', 'error', 1, fsDetails(0, { directory_exists: false, executables: { ffmpeg: false } })),
    }, (b) => [b.pipeline?.scripts_ready, b.pipeline?.scripts_count, b.pipeline?.ffmpeg], [false, 0, false]],
    ['a scripts source not run yet has unknown figures', { scripts: undefined }, (b) => [b.pipeline?.scripts_ready, b.pipeline?.scripts_count, b.pipeline?.scripts_integrity, b.pipeline?.ffmpeg], [false, null, null, null]],
    ['a differing row count is not synced', {
      idCount: result('id-count', 'postgres', 'ok', 1, { first_row: { count: '3480' } }),
    }, (b) => [b.identities?.db_count, b.identities?.synced], [3480, false]],
    ['a failed count query leaves db_count null', { idCount: result('id-count', 'postgres', 'error', 1) }, (b) => [b.identities?.db_count, b.identities?.synced], [null, false]],
    ['a missing index entry is reported', {
      idDir: result('id-dir', 'filesystem', 'degraded', 1, fsDetails(3481, { entries: { 'index.json': false } })),
    }, (b) => [b.identities?.index_ok, b.identities?.synced], [false, true]],
    ['a reachable integration', { tmdb: result('tmdb-api', 'http', 'ok', 40, { status_code: 200 }) }, (b) => b.integrations.tmdb?.api_reachable, true],
    ['an integration not checked yet', { tmdb: undefined }, (b) => b.integrations.tmdb?.api_reachable, null],
  ])('%s', (_title, overrides, pick, expected) => {
    const body = renderHealthDetailed({ config: CONFIG, lookup: lookupOf(detailedStates(overrides)), build: BUILD, migrations: MIGRATIONS });
    expect(pick(body)).toEqual(expected);
  });

  it.each<[string, MigrationStatus | undefined, unknown]>([
    ['up to date', MIGRATIONS, true],
    ['a migration still required', { ...MIGRATIONS, required: ['002_next.sql'] }, false],
    ['no migrations table', { table_exists: false, applied: [], required: ['001_init.sql'] }, false],
    ['a store that cannot be read', undefined, false],
  ])('schema.ok with %s is %s', (_title, migrations, ok) => {
    const body = renderHealthDetailed({ config: CONFIG, lookup: lookupOf(detailedStates()), build: BUILD, migrations });
    expect(body.schema.ok).toBe(ok);
  });

  it('gives null blocks and empty maps when the section configures nothing', () => {
    const body = renderHealthDetailed({ config: parseHealthConfig(undefined, [DEFS.redis]), lookup: lookupOf(detailedStates()), build: BUILD, migrations: MIGRATIONS });
    expect(body).toMatchObject({ status: 'ok', services: { redis: { status: 'ok' } }, resources: null, pipeline: null, identities: null, config: {}, integrations: {} });
  });
});

describe('GET /health/consistency renderer', () => {
  const report = {
    database: 'postgres://127.0.0.1:5432/app',
    checks: [
      { check: 'stale_processing', severity: 'warn', count: 3, files: [{ file_name: 'video.mp4', file_uuid: 'abc', status: 'processing', detail: 'job_id is null' }] },
      { check: 'unregistered_with_uuid', severity: 'info', count: 0, files: [] },
    ],
  };

  it.each<[string, CheckResult | undefined, unknown]>([
    ['a scan with anomalies', result('app-consistency', 'consistency', 'degraded', 30, report), {
      status: 'degraded',
      checked_at: '2026-05-18T17:30:00.000Z',
      checks: report.checks,
    }],
    ['a clean scan', result('app-consistency', 'consistency', 'ok', 30, { database: 'x', checks: [{ check: 'stale_processing', severity: 'warn', count: 0, files: [] }] }), {
      status: 'ok',
      checked_at: '2026-05-18T17:30:00.000Z',
      checks: [{ check: 'stale_processing', severity: 'warn', count: 0, files: [] }],
    }],
    ['no scan yet', undefined, { unavailable: 'the first consistency scan has not finished yet' }],
    ['a failed scan', result('app-consistency', 'consistency', 'error', 30, undefined, 'consistency: connect to postgres://127.0.0.1:5432/app failed: ECONNREFUSED'), {
      unavailable: 'the last consistency scan failed: consistency: connect to postgres://127.0.0.1:5432/app failed: ECONNREFUSED',
    }],
    ['a timed-out scan', result('app-consistency', 'consistency', 'timeout', 30, undefined, 'consistency: no answer within 2000 ms'), {
      unavailable: 'the last consistency scan failed: consistency: no answer within 2000 ms',
    }],
  ])('%s', (_title, latest, expected) => {
    expect(renderConsistency(state(DEFS.consistency, latest))).toEqual(expected);
  });

  it('is unavailable when no consistency source is configured', () => {
    expect(renderConsistency(undefined)).toEqual({ unavailable: expect.stringContaining('no consistency source') });
  });
});

describe('GET /api/v1/stats/sftpgo renderer', () => {
  const statusJson = {
    ssh: { is_active: true, bindings: [{ address: '', port: 2022 }], host_keys: [{ path: 'id_rsa' }] },
    ftp: { is_active: false, bindings: [] },
    webdav: { is_active: true },
    data_provider: { is_active: true, driver: 'postgresql', error: '' },
    mfa: { is_active: false, totp_configs: [] },
  };

  it.each<[string, CheckResult | undefined, unknown]>([
    ['a /api/v2/status answer', result('sftpgo', 'http', 'ok', 4.4, { url: 'x', status_code: 200, json: statusJson }), {
      status: 'ok',
      latency_ms: 4,
      checked_at: '2026-05-18T17:30:00.000Z',
      services: { ssh: { is_active: true }, ftp: { is_active: false }, webdav: { is_active: true }, mfa: { is_active: false } },
      data_provider: { is_active: true },
    }],
    ['an inactive data provider', result('sftpgo', 'http', 'ok', 4, { json: { ...statusJson, data_provider: { is_active: false, error: 'dial tcp: refused' } } }), expect.objectContaining({
      status: 'degraded',
      data_provider: { is_active: false },
    })],
    ['a /healthz answer', result('sftpgo', 'http', 'ok', 2, { url: 'x', status_code: 200 }), {
      status: 'ok', latency_ms: 2, checked_at: '2026-05-18T17:30:00.000Z', services: null, data_provider: null,
    }],
    ['SFTPGo down', result('sftpgo', 'http', 'error', 2001, undefined, 'http: GET http://10.0.0.1/healthz failed: ECONNREFUSED'), {
      status: 'error', latency_ms: 2001, checked_at: '2026-05-18T17:30:00.000Z', services: null, data_provider: null,
    }],
    // SFTPGo answered: it is up, and what it said is reported (11.20).
    ['SFTPGo answering 500 with its status', result('sftpgo', 'http', 'error', 3, { status_code: 500, json: statusJson }, 'http: answered 500'), expect.objectContaining({
      status: 'degraded', services: expect.objectContaining({ ssh: { is_active: true } }), data_provider: { is_active: true },
    })],
    ['a failed json_path condition on an inactive data provider', result('sftpgo', 'http', 'error', 3, { status_code: 200, json: { ...statusJson, data_provider: { is_active: false } } }, 'http: $.data_provider.is_active is false (expected true)'), expect.objectContaining({
      status: 'degraded', data_provider: { is_active: false },
    })],
    ['/healthz answering 503', result('sftpgo', 'http', 'error', 3, { status_code: 503 }, 'http: answered 503'), {
      status: 'degraded', latency_ms: 3, checked_at: '2026-05-18T17:30:00.000Z', services: null, data_provider: null,
    }],
    ['a proxy answering 502 for a dead SFTPGo', result('sftpgo', 'http', 'error', 3, { status_code: 502 }, 'http: answered 502'), {
      status: 'error', latency_ms: 3, checked_at: '2026-05-18T17:30:00.000Z', services: null, data_provider: null,
    }],
    ['not checked yet', undefined, { unavailable: 'SFTPGo has not been checked yet' }],
  ])('%s', (_title, latest, expected) => {
    const body = renderSftpgo(state(DEFS.sftpgo, latest));
    expect(body).toEqual(expected);
    // Public output: no reason, no binding, no driver.
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|2022|postgresql|dial tcp|id_rsa/);
  });
});
