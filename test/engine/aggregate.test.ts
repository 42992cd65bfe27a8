import { describe, expect, it } from 'vitest';
import { aggregate, aggregateSources, type AggregateEntry } from '../../src/render/status-rules.ts';
import { sourceState } from '../support/source-states.ts';

const critical = (status: AggregateEntry['status']): AggregateEntry => ({ critical: true, status });
const optional = (status: AggregateEntry['status']): AggregateEntry => ({ critical: false, status });

describe('aggregate', () => {
  it.each<[string, readonly AggregateEntry[], ReturnType<typeof aggregate>]>([
    ['no sources at all', [], 'ok'],
    ['every source ok', [critical('ok'), optional('ok')], 'ok'],
    ['a critical source in error', [critical('error'), optional('ok')], 'unhealthy'],
    ['a critical source timing out', [critical('timeout')], 'unhealthy'],
    ['a critical source that cannot be checked as configured', [critical('failed')], 'unhealthy'],
    ['a non-critical source in error', [critical('ok'), optional('error')], 'degraded'],
    ['a non-critical source timing out', [optional('timeout')], 'degraded'],
    ['a non-critical source failed', [optional('failed'), critical('ok')], 'degraded'],
    ['a critical source degraded', [critical('degraded'), optional('ok')], 'degraded'],
    ['a non-critical source degraded', [critical('ok'), optional('degraded')], 'degraded'],
    ['a failing critical source beside a degraded one', [critical('degraded'), critical('error')], 'unhealthy'],
    ['a failing critical source beside a failing non-critical one', [optional('error'), critical('timeout')], 'unhealthy'],
    ['a critical source without a result yet', [critical(undefined), critical('ok')], 'degraded'],
    ['a non-critical source without a result yet', [optional(undefined)], 'degraded'],
    ['a pending source beside a failing critical one', [critical(undefined), critical('error')], 'unhealthy'],
  ])('%s -> %s', (_case, entries, expected) => {
    expect(aggregate(entries)).toBe(expected);
  });

  it('reads critical and the latest status from the engine snapshot', () => {
    const states = [sourceState({ name: 'db', status: 'ok' }), sourceState({ name: 'cache', status: 'error', critical: false })];
    expect(aggregateSources(states)).toBe('degraded');
    expect(aggregateSources([...states, sourceState({ name: 'db2', status: 'timeout' })])).toBe('unhealthy');
    expect(aggregateSources([...states, sourceState({ name: 'fresh' })])).toBe('degraded');
  });
});
