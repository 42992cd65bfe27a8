// 002's renderers, case by case: status, HTTP code, booleans, statistics and errors per state.
import { checkResult } from '../support/source-states.ts';
import { describe, expect, it } from 'vitest';
import type { PoolStatistics, RedisDetails, SqlDetails } from '../../src/checks/details.ts';
import type { CheckResult, CheckStatus } from '../../src/engine/types.ts';
import {
  cacheStatistics,
  dbStatistics,
  renderAdminHealth,
  renderPublicHealth,
  type AdminHealthInput,
  type ComponentState,
} from '../../src/render/admin.ts';
import type { AdminHealthReport, AdminHealthStatus, PublicHealthReport } from '../../generated/types.gen.ts';
import { adminHttpCode as httpStatusFor } from '../../src/render/status-rules.ts';

const pool: PoolStatistics = { size: 10, total: 3, checked_in: 2, checked_out: 1, waiting: 4 };
const sql: SqlDetails = { server_version: '15.4', query_latency_ms: 0.85, pool, first_row: { one: 1 } };
const redis: RedisDetails = {
  server_version: '7.0.15',
  ping_latency_ms: 0.21,
  memory_usage_bytes: 1_048_576,
  total_keys: 42,
  connected_clients: 7,
  uptime_seconds: 3600,
  evicted_keys: 1,
  hit_rate: 87.5,
  total_commands_processed: 12345,
};

/** A result of the kind whose figures `details` holds (SQL pool figures, else Redis INFO). */
function result(status: CheckStatus, details?: object, error?: string): CheckResult {
  const kind = details !== undefined && ('pool' in details || 'query_latency_ms' in details) ? 'postgres' : 'redis';
  return checkResult({ source: 's', kind, status, latencyMs: 1, details, error, timestamp: '2026-03-01T00:00:00.000Z' });
}

const startedAt = new Date('2026-03-01T00:00:00Z');
const dbUp: ComponentState = { critical: true, latest: result('ok', sql) };
const cacheUp: ComponentState = { critical: true, latest: result('ok', redis) };

function input(overrides: Partial<AdminHealthInput> = {}): AdminHealthInput {
  return { database: dbUp, cache: cacheUp, startedAt, ...overrides };
}

describe('renderPublicHealth and renderAdminHealth', () => {
  it('fills every field from the probes when both components are up', () => {
    const report = renderAdminHealth({ ...input(), sourceHash: 'f'.repeat(64) });
    // Compile-time: assignable to the generated contract type.
    const body: AdminHealthReport = { ...report.body, errors: [...report.body.errors] };
    expect(report.status).toBe(200);
    expect(body).toEqual({
      status: 'healthy',
      database: true,
      cache: true,
      started_at: '2026-03-01T00:00:00.000Z',
      db_statistics: { size: 10, checked_in: 2, checked_out: 1, overflow: 4, total: 3, latency_ms: 0.85 },
      cache_statistics: {
        memory_usage_bytes: 1_048_576,
        total_keys: 42,
        connected_clients: 7,
        uptime_seconds: 3600,
        evicted_keys: 1,
        hit_rate: 87.5,
        total_commands_processed: 12345,
        latency_ms: 0.21,
      },
      source_hash: 'f'.repeat(64),
      errors: [],
    });
  });

  it('leaves source_hash out of the public body only', () => {
    const report = renderPublicHealth(input());
    const body: PublicHealthReport = { ...report.body, errors: [...report.body.errors] };
    expect(body).not.toHaveProperty('source_hash');
    expect(Object.keys(body).sort()).toEqual(
      ['cache', 'cache_statistics', 'database', 'db_statistics', 'errors', 'started_at', 'status'].sort(),
    );
  });

  it.each<[AdminHealthStatus, 200 | 503]>([
    ['healthy', 200],
    ['degraded', 200],
    ['unhealthy', 503],
  ])('answers %s with HTTP %i', (status, http) => {
    expect(httpStatusFor(status)).toBe(http);
  });

  const down = (critical: boolean, status: CheckStatus = 'error'): ComponentState => ({
    critical,
    latest: result(status, undefined, `postgres: connect ECONNREFUSED 127.0.0.1:1`),
  });

  it.each<[string, Partial<AdminHealthInput>, AdminHealthStatus, 200 | 503]>([
    ['both up', {}, 'healthy', 200],
    ['critical database down', { database: down(true) }, 'unhealthy', 503],
    ['critical database timed out', { database: down(true, 'timeout') }, 'unhealthy', 503],
    ['critical database misconfigured', { database: down(true, 'failed') }, 'unhealthy', 503],
    ['non-critical cache down', { cache: down(false) }, 'degraded', 200],
    ['critical cache down', { cache: down(true) }, 'unhealthy', 503],
    ['cache degraded', { cache: { critical: true, latest: result('degraded', redis, 'slow') } }, 'degraded', 200],
    ['database not probed yet', { database: { critical: true, latest: undefined } }, 'degraded', 200],
    ['cache not configured', { cache: null }, 'degraded', 200],
    ['nothing configured', { database: null, cache: null }, 'degraded', 200],
  ])('reports %s as %s (HTTP %i)', (_label, overrides, status, http) => {
    const report = renderPublicHealth(input(overrides));
    expect(report.body.status).toBe(status);
    expect(report.status).toBe(http);
  });

  it('withholds reasons publicly and gives them to admins', () => {
    const state = input({ database: down(true), cache: { critical: false, latest: result('timeout', undefined, 'redis: no answer within 50 ms') } });
    expect(renderPublicHealth(state).body.errors).toEqual(['database: unavailable', 'cache: unavailable']);
    expect(renderAdminHealth({ ...state, sourceHash: 'x' }).body.errors).toEqual([
      'database: postgres: connect ECONNREFUSED 127.0.0.1:1',
      'cache: redis: no answer within 50 ms',
    ]);
  });

  it.each<[string, ComponentState | null, string, string]>([
    ['not configured', null, 'cache: not configured', 'cache: not configured'],
    ['not probed yet', { critical: true, latest: undefined }, 'cache: not checked yet', 'cache: not checked yet'],
    ['degraded', { critical: true, latest: result('degraded', redis, 'redis: used memory above 90%') }, 'cache: degraded', 'cache: degraded: redis: used memory above 90%'],
    ['misconfigured', { critical: true, latest: result('failed', undefined, 'source "c" (redis): option "url" must be set') }, 'cache: unavailable', 'cache: source "c" (redis): option "url" must be set'],
  ])('names a cache that is %s in errors', (_label, cache, publicError, adminError) => {
    expect(renderPublicHealth(input({ cache })).body.errors).toEqual([publicError]);
    expect(renderAdminHealth({ ...input({ cache }), sourceHash: 'x' }).body.errors).toEqual([adminError]);
  });

  it('reports connectivity false and every statistic null without a successful probe', () => {
    const body = renderPublicHealth(input({ database: down(true), cache: null })).body;
    expect(body.database).toBe(false);
    expect(body.cache).toBe(false);
    expect(Object.values(body.db_statistics).every((v) => v === null)).toBe(true);
    expect(Object.values(body.cache_statistics).every((v) => v === null)).toBe(true);
  });

  it('keeps the figures of a degraded probe: it still measured them', () => {
    const body = renderPublicHealth(input({ cache: { critical: true, latest: result('degraded', redis, 'slow') } })).body;
    expect(body.cache).toBe(true);
    expect(body.cache_statistics.total_keys).toBe(42);
  });
});

describe('statistics readers', () => {
  it('maps the pool waiting count to overflow and the query latency to latency_ms', () => {
    const stats = dbStatistics({ critical: true, latest: result('ok', { ...sql, pool: { ...pool, waiting: 9 }, query_latency_ms: 12.5 }) });
    expect(stats.overflow).toBe(9);
    expect(stats.latency_ms).toBe(12.5);
  });

  it('turns a figure that is missing or off-contract into null rather than inventing one', () => {
    const stats = cacheStatistics({
      critical: true,
      latest: result('ok', { ...redis, total_keys: 'many', hit_rate: 140, evicted_keys: -1, connected_clients: 2.5 }),
    });
    expect(stats.total_keys).toBeNull();
    expect(stats.hit_rate).toBeNull();
    expect(stats.evicted_keys).toBeNull();
    expect(stats.connected_clients).toBeNull();
    expect(stats.memory_usage_bytes).toBe(1_048_576);
    expect(dbStatistics({ critical: true, latest: result('ok', { query_latency_ms: 1 }) }).size).toBeNull();
  });
});
