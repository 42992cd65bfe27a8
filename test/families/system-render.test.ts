// 000's renderer, case by case: which check values, codes and HTTP status each state produces.
import { checkResult } from '../support/source-states.ts';
import { describe, expect, it } from 'vitest';
import type { CheckResult, CheckStatus } from '../../src/engine/types.ts';
import {
  renderSystemHealth,
  SYSTEM_SOURCE_COMPONENTS,
  type ComponentState,
  type SessionVerdict,
  type SystemHealthInput,
  type SystemSourceComponent,
} from '../../src/render/system.ts';
import type { SystemErrorResponse, SystemHealthCheckOk } from '../../generated/types.gen.ts';
import { ALL_CHECKS_OK } from './system-fixtures.ts';

function result(status: CheckStatus, error?: string): CheckResult {
  return checkResult({ source: 'src', kind: 'redis', status, latencyMs: 3.2, error, timestamp: '2026-03-01T00:00:00.000Z' });
}

const up: ComponentState = { latest: result('ok') };
const active: SessionVerdict = { active: true };

function input(overrides: Partial<Record<SystemSourceComponent, ComponentState | null>> = {}, rest: Partial<SystemHealthInput> = {}): SystemHealthInput {
  const components = Object.fromEntries(SYSTEM_SOURCE_COMPONENTS.map((name) => [name, up])) as Record<SystemSourceComponent, ComponentState | null>;
  return { components: { ...components, ...overrides }, session: active, adminUserExists: true, ...rest };
}

describe('renderSystemHealth', () => {
  it('answers 200 with every check OK when everything is up, as in the document', () => {
    const report = renderSystemHealth(input());
    if (report.status !== 200) throw new Error(`expected 200, got ${report.status}`);
    // Compile-time: the renderer's body is assignable to the generated contract type.
    const body: SystemHealthCheckOk = report.body;
    expect(body).toEqual({ Checks: ALL_CHECKS_OK });
  });

  it.each<[SystemSourceComponent, number, string]>([
    ['MySQL', 7, 'MySQL connection failed.'],
    ['Elasticsearch', 3, 'Elasticsearch connection failed.'],
    ['RabbitMQ', 4, 'RabbitMQ connection failed.'],
    ['Redis', 5, 'Redis connection failed.'],
    ['SystemContainer', 8, 'SystemContainer check failed.'],
    ['AdminFrontend', 9, 'AdminFrontend check failed.'],
    ['UserFrontend', 10, 'UserFrontend check failed.'],
  ])('reports %s down as 503 with code %i', (name, code, message) => {
    const report = renderSystemHealth(input({ [name]: { latest: result('error', 'x: connect ECONNREFUSED 127.0.0.1:1') } }));
    expect(report.status).toBe(503);
    const body = report.body as SystemErrorResponse;
    expect(body.Errors).toEqual([{ Code: code, Message: message, Detail: 'x: connect ECONNREFUSED 127.0.0.1:1' }]);
    expect(body.Checks?.[name]).toBe('FAILED');
  });

  it.each<[string, ComponentState | null, 'OK' | 'DEGRADED' | 'FAILED' | 'NOT_CONFIGURED', 200 | 503]>([
    ['ok', { latest: result('ok') }, 'OK', 200],
    ['degraded (Elasticsearch yellow)', { latest: result('degraded', 'cluster yellow') }, 'DEGRADED', 200],
    ['error', { latest: result('error', 'down') }, 'FAILED', 503],
    ['timeout', { latest: result('timeout', 'elasticsearch: no answer within 50 ms') }, 'FAILED', 503],
    ['failed (bad configuration)', { latest: result('failed', 'option "url" must be a URL') }, 'FAILED', 503],
    ['not probed yet', { latest: undefined }, 'FAILED', 503],
    ['not configured', null, 'NOT_CONFIGURED', 200],
  ])('maps a source that is %s to %s and HTTP %i', (_label, state, value, http) => {
    const report = renderSystemHealth(input({ Elasticsearch: state }));
    expect(report.body.Checks.Elasticsearch).toBe(value);
    expect(report.status).toBe(http);
  });

  it('gives the probe message as Detail, and says when no probe has completed', () => {
    const timedOut = renderSystemHealth(input({ Redis: { latest: result('timeout', 'redis: no answer within 50 ms') } }));
    expect((timedOut.body as SystemErrorResponse).Errors[0]?.Detail).toBe('redis: no answer within 50 ms');
    const pending = renderSystemHealth(input({ Redis: { latest: undefined } }));
    expect((pending.body as SystemErrorResponse).Errors[0]?.Detail).toBe('no probe has completed yet');
  });

  it('reports an inactive session as code 6 with its reason', () => {
    const report = renderSystemHealth(input({}, { session: { active: false, reason: 'the session is unknown, expired or logged out' } }));
    expect(report.status).toBe(503);
    expect(report.body.Checks.Session).toBe('FAILED');
    expect((report.body as SystemErrorResponse).Errors).toEqual([
      { Code: 6, Message: 'Session is not active.', Detail: 'the session is unknown, expired or logged out' },
    ]);
  });

  it('reports a missing admin user as code 2 although every check is OK', () => {
    const report = renderSystemHealth(input({}, { adminUserExists: false }));
    expect(report.status).toBe(503);
    expect(Object.values(report.body.Checks).every((value) => value === 'OK')).toBe(true);
    expect((report.body as SystemErrorResponse).Errors).toEqual([{ Code: 2, Message: 'There is no registered admin user.' }]);
  });

  it('lists every failure ordered by code and never code 1', () => {
    const report = renderSystemHealth(
      input(
        { UserFrontend: { latest: result('error', 'a') }, Redis: { latest: result('error', 'b') }, Elasticsearch: { latest: undefined } },
        { adminUserExists: false, session: { active: false, reason: 'none' } },
      ),
    );
    const codes = (report.body as SystemErrorResponse).Errors.map((e) => e.Code);
    expect(codes).toEqual([2, 3, 5, 6, 10]);
  });

  it('keeps the document order of the Checks keys', () => {
    expect(Object.keys(renderSystemHealth(input()).body.Checks)).toEqual([
      'MySQL',
      'Elasticsearch',
      'RabbitMQ',
      'Redis',
      'Session',
      'SystemContainer',
      'AdminFrontend',
      'UserFrontend',
    ]);
  });
});
