import { describe, expect, it } from 'vitest';
import type { CheckStatus, Failure } from '../../src/checks/types.ts';
import type { AggregateStatus } from '../../src/engine/types.ts';
import { parseSourcesConfig } from '../../src/routes/sources.ts';
import {
  healthCheckError,
  renderHealthz,
  renderSources,
  sourceHealth,
} from '../../src/render/sources.ts';
import { hasuraStatusOf, type HasuraStatus } from '../../src/render/status-rules.ts';
import { sourceState } from '../support/source-states.ts';

describe('Vigil status in Hasura terms', () => {
  it.each<[CheckStatus, HasuraStatus, Failure | string | undefined, unknown]>([
    ['ok', 'OK', undefined, null],
    // Issue 11.2: the reason a degraded source makes /healthz say WARN is shown to the admin.
    [
      'degraded',
      'OK',
      'elasticsearch: cluster status yellow',
      { message: 'redis: degraded', extra: 'elasticsearch: cluster status yellow' },
    ],
    ['timeout', 'TIMEOUT', { phase: 'deadline', message: 'redis: no answer within 200 ms' }, null],
    [
      'error',
      'ERROR',
      { phase: 'connect', message: 'redis: connect failed', detail: 'connect ECONNREFUSED 127.0.0.1:1' },
      { message: 'redis: connect failed', extra: 'connect ECONNREFUSED 127.0.0.1:1' },
    ],
    ['error', 'ERROR', { phase: 'run', message: 'check failed' }, { message: 'check failed', extra: null }],
    [
      'failed',
      'FAILED',
      { phase: 'configuration', message: 'source "x" (redis): option "url" must be set' },
      'source "x" (redis): option "url" must be set',
    ],
  ])('%s is %s with error %j', (status, hasura, reason, expectedError) => {
    expect(hasuraStatusOf(status)).toBe(hasura);
    const given = typeof reason === 'string' ? { error: reason } : reason === undefined ? {} : { failure: reason };
    const latest = sourceState({ name: 'x', status, ...given, timestamp: '2025-03-04T05:06:07.089Z' }).latest;
    if (!latest) throw new Error('the builder gave no result');
    expect(sourceHealth(latest)).toEqual({ status: hasura, error: expectedError, timestamp: '2025-03-04T05:06:07.089Z' });
  });
});

describe('healthCheckError', () => {
  it.each<[Failure, unknown]>([
    [{ phase: 'connect', message: 'redis: connect failed', detail: 'ECONNREFUSED' }, { message: 'redis: connect failed', extra: 'ECONNREFUSED' }],
    [
      { phase: 'query', message: 'postgres: query failed', detail: 'syntax error: at or near "x"' },
      { message: 'postgres: query failed', extra: 'syntax error: at or near "x"' },
    ],
    [{ phase: 'run', message: 'redis: connection closed' }, { message: 'redis: connection closed', extra: null }],
    [{ phase: 'run', message: 'boom' }, { message: 'boom', extra: null }],
  ])('reads %j without parsing a message', (failure, expected) => {
    expect(healthCheckError(failure)).toEqual(expected);
  });
});

describe('renderSources', () => {
  it('lists every checked source by name, in order, and leaves out one not checked yet', () => {
    const body = renderSources([
      sourceState({ name: 'b', status: 'ok' }),
      sourceState({ name: 'pending' }),
      sourceState({ name: 'a', status: 'timeout' }),
    ]);
    expect(Object.keys(body)).toEqual(['b', 'a']);
    expect(body.a?.status).toBe('TIMEOUT');
  });

  it('gives timestamps in UTC', () => {
    const body = renderSources([sourceState({ name: 'a', status: 'ok', timestamp: '2025-03-04T07:06:07.000+02:00' })]);
    expect(body.a?.timestamp).toBe('2025-03-04T05:06:07.000Z');
  });
});

describe('renderHealthz', () => {
  it.each<[AggregateStatus, boolean, number, string]>([
    ['ok', false, 200, 'OK'],
    ['ok', true, 200, 'OK'],
    ['degraded', false, 200, 'WARN: inconsistent sources'],
    ['degraded', true, 500, 'ERROR: inconsistent sources'],
    ['unhealthy', false, 500, 'ERROR'],
    ['unhealthy', true, 500, 'ERROR'],
  ])('%s (strict=%s) answers %d %s', (status, strict, code, text) => {
    expect(renderHealthz(status, strict)).toEqual({ httpStatus: code, text });
  });
});

describe('families.sources configuration', () => {
  const sources = ['app-db', 'cache', 'events'].map((name) => sourceState({ name }));

  it.each([
    [{}, ['app-db', 'cache', 'events']],
    [{ sources: null }, ['app-db', 'cache', 'events']],
    [{ sources: { include: ['events', 'app-db'] } }, ['app-db', 'events']],
    [{ sources: { exclude: ['cache'] } }, ['app-db', 'events']],
    [{ sources: { include: ['app-db', 'cache'], exclude: ['cache'] } }, ['app-db']],
  ])('%j reports %j', (families, expected) => {
    expect(parseSourcesConfig(families, sources).sources).toEqual(expected);
  });

  it.each([
    [{ sources: ['app-db'] }, /^families\.sources must be a mapping/],
    [{ sources: { only: [] } }, /^families\.sources\.only is not a known key \(expected one of: include, exclude\)/],
    [{ sources: { include: ['nope'] } }, /^families\.sources\.include\[0\]: "nope" is not a configured source \(configured: app-db, cache, events\)/],
    [{ sources: { exclude: [''] } }, /^families\.sources\.exclude\[0\] must be a source name/],
  ])('refuses %j naming the key', (families, message) => {
    expect(() => parseSourcesConfig(families, sources)).toThrow(message);
  });
});
