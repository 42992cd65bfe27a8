import { describe, expect, it } from 'vitest';
import type { CheckStatus } from '../../src/checks/types.ts';
import { parseStatusConfig } from '../../src/routes/status.ts';
import {
  componentHealth,
  formatGoDuration,
  natsSection,
  renderStatus,
} from '../../src/render/status.ts';
import {
  statusHttpCode,
  statusOverall as overallStatus,
  type ComponentStatus,
  type StatusOverall as OverallStatus,
} from '../../src/render/status-rules.ts';
import { sourceState } from '../support/source-states.ts';

const NATS_DETAILS = {
  server_url: 'nats://127.0.0.1:4222',
  server_version: '2.10.22',
  jetstream: true,
  streams: [{ name: 'JOBS', messages: 42, bytes: 1024, consumers: 1, first_seq: 1 }],
  kv_buckets: [{ name: 'job-queue', keys: 10, bytes: 2048 }],
  jobs: { total: 100, unprocessed: 5, processing: 2, completed: 90, failed: 3, dlq: 0 },
};

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [-5_000, '0s'],
    [1_000, '1s'],
    [45_999, '45s'],
    [60_000, '1m'],
    [61_000, '1m1s'],
    [5 * 60_000, '5m'],
    [3_600_000, '1h'],
    [3_605_000, '1h0m5s'],
    [9_000_000, '2h30m'],
    [9_001_000, '2h30m1s'],
    [49 * 3_600_000, '49h'],
    [Number.NaN, '0s'],
  ])('formats %d ms as %s', (ms, expected) => {
    expect(formatGoDuration(ms)).toBe(expected);
  });

  it('always produces a string Go time.ParseDuration accepts', () => {
    for (let ms = 0; ms < 2 * 3_600_000; ms += 59_017) {
      expect(formatGoDuration(ms)).toMatch(/^([0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)$/);
    }
  });
});

describe('componentHealth', () => {
  it.each<[CheckStatus | undefined, string | undefined, ComponentStatus, string | undefined]>([
    ['ok', undefined, 'ok', undefined],
    ['degraded', 'elasticsearch: cluster status yellow', 'degraded', 'elasticsearch: cluster status yellow'],
    ['degraded', undefined, 'degraded', 'degraded'],
    ['error', 'redis: connect failed: ECONNREFUSED', 'unhealthy', 'redis: connect failed: ECONNREFUSED'],
    ['timeout', 'redis: no answer within 200 ms', 'unhealthy', 'redis: no answer within 200 ms'],
    ['timeout', undefined, 'unhealthy', 'check timed out'],
    ['failed', 'source "x" (redis): option "url" must be set', 'unhealthy', 'source "x" (redis): option "url" must be set'],
    [undefined, undefined, 'unknown', 'not checked yet'],
  ])('a source whose last check is %s (%s) is %s', (status, error, expected, expectedError) => {
    const health = componentHealth(sourceState({ name: 'x', status, error }));
    expect(health.status).toBe(expected);
    expect(health.error).toBe(expectedError);
  });
});

describe('overallStatus and its HTTP code', () => {
  it.each<[ComponentStatus[], OverallStatus, number]>([
    [[], 'ok', 200],
    [['ok', 'ok'], 'ok', 200],
    [['ok', 'degraded'], 'degraded', 200],
    [['ok', 'unknown'], 'degraded', 200],
    [['ok', 'unhealthy'], 'unhealthy', 503],
    [['degraded', 'unhealthy', 'unknown'], 'unhealthy', 503],
  ])('components %j make %s (%d)', (components, expected, code) => {
    expect(overallStatus(components)).toBe(expected);
    expect(statusHttpCode(expected)).toBe(code);
  });
});

describe('natsSection', () => {
  it('copies the measured server, streams, buckets and jobs, and nothing else', () => {
    const section = natsSection(sourceState({ name: 'events', kind: 'nats', status: 'ok', details: NATS_DETAILS }));
    expect(section).toEqual({
      nats: { url: 'nats://127.0.0.1:4222', version: '2.10.22' },
      streams: [{ name: 'JOBS', messages: 42, bytes: 1024, consumers: 1 }],
      kv_buckets: [{ name: 'job-queue', keys: 10, bytes: 2048 }],
      jobs: { total: 100, unprocessed: 5, processing: 2, completed: 90, failed: 3, dlq: 0 },
    });
  });

  it('leaves jobs out when the source does not count jobs', () => {
    const { jobs: _jobs, ...withoutJobs } = NATS_DETAILS;
    const section = natsSection(sourceState({ name: 'events', kind: 'nats', status: 'ok', details: withoutJobs }));
    expect(section).not.toHaveProperty('jobs');
    expect(section.streams).toHaveLength(1);
  });

  it.each([
    ['no NATS source', undefined],
    ['a NATS source not checked yet', sourceState({ name: 'events', kind: 'nats' })],
    ['a failed check without details', sourceState({ name: 'events', kind: 'nats', status: 'error', error: 'nats: connect failed' })],
    ['details of another shape', sourceState({ name: 'events', kind: 'nats', status: 'ok', details: { server_url: 'x' } })],
  ])('reports nothing for %s', (_label, state) => {
    expect(natsSection(state)).toEqual({});
  });
});

describe('renderStatus', () => {
  it('renders the document body with components in order and the figures measured', () => {
    const nats = sourceState({ name: 'events', kind: 'nats', status: 'ok', details: NATS_DETAILS });
    const { httpStatus, body } = renderStatus({
      components: [nats, sourceState({ name: 'cache', status: 'degraded', error: 'redis: slow' })],
      nats,
      version: '1.2.3',
      uptimeMs: 9_000_000,
    });
    expect(httpStatus).toBe(200);
    expect(body).toMatchObject({ status: 'degraded', version: '1.2.3', uptime: '2h30m', nats: { version: '2.10.22' } });
    expect(Object.keys(body.components)).toEqual(['events', 'cache']);
  });

  it('answers 503 with the same body when one component is unhealthy', () => {
    const { httpStatus, body } = renderStatus({
      components: [sourceState({ name: 'db', status: 'ok' }), sourceState({ name: 'cache', status: 'error', error: 'redis: down' })],
      nats: undefined,
      version: '1.2.3',
      uptimeMs: 45_000,
    });
    expect(httpStatus).toBe(503);
    expect(body).toEqual({
      status: 'unhealthy',
      components: { db: { status: 'ok' }, cache: { status: 'unhealthy', error: 'redis: down' } },
      version: '1.2.3',
      uptime: '45s',
    });
  });

  it('keeps a source named __proto__ as an ordinary component', () => {
    const { body } = renderStatus({ components: [sourceState({ name: '__proto__', status: 'ok' })], nats: undefined, version: 'v', uptimeMs: 0 });
    expect(Object.keys(body.components)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(body)).components).toEqual(JSON.parse('{"__proto__":{"status":"ok"}}'));
  });
});

describe('families.status configuration', () => {
  const sources = [
    sourceState({ name: 'app-db', kind: 'postgres' }),
    sourceState({ name: 'events', kind: 'nats' }),
    sourceState({ name: 'more-events', kind: 'nats' }),
  ];

  it('defaults to every source as a component and the first NATS source', () => {
    expect(parseStatusConfig({}, sources)).toEqual({ components: ['app-db', 'events', 'more-events'], nats: 'events' });
  });

  it('takes the configured components and NATS source', () => {
    expect(parseStatusConfig({ status: { nats: 'more-events', components: ['events', 'app-db'] } }, sources)).toEqual({
      components: ['events', 'app-db'],
      nats: 'more-events',
    });
  });

  it('has no NATS source when none is configured', () => {
    expect(parseStatusConfig({}, [sourceState({ name: 'app-db', kind: 'postgres' })]).nats).toBeUndefined();
  });

  it.each([
    [{ status: 'yes' }, /^families\.status must be a mapping/],
    [{ status: { component: [] } }, /^families\.status\.component is not a known key/],
    [{ status: { components: 'app-db' } }, /^families\.status\.components must be a list/],
    [{ status: { components: ['app-db', 'nope'] } }, /^families\.status\.components\[1\]: "nope" is not a configured source/],
    [{ status: { components: ['app-db', 'app-db'] } }, /^families\.status\.components\[1\]: "app-db" is listed twice/],
    [{ status: { components: [3] } }, /^families\.status\.components\[0\] must be a source name/],
    [{ status: { nats: 'nope' } }, /^families\.status\.nats: "nope" is not a configured source/],
    [{ status: { nats: 'app-db' } }, /^families\.status\.nats: "app-db" is a postgres source; a source of kind nats is expected/],
  ])('refuses %j naming the key', (families, message) => {
    expect(() => parseStatusConfig(families, sources)).toThrow(message);
  });
});
