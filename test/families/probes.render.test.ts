import { describe, expect, it } from 'vitest';
import type { CheckStatus } from '../../src/checks/types.ts';
import {
  escapeLabelValue,
  formatSampleValue,
  livenessChecks,
  readinessChecks,
  renderMetrics,
  renderProbe,
} from '../../src/render/probes.ts';
import { sourceState } from '../support/source-states.ts';

describe('readinessChecks', () => {
  it.each<[CheckStatus | undefined, boolean]>([
    ['ok', true],
    ['degraded', true],
    ['error', false],
    ['timeout', false],
    ['failed', false],
    [undefined, false],
  ])('a critical source whose last check is %s passes: %s', (status, ok) => {
    const checks = readinessChecks([sourceState({ name: 'db', status })], false);
    expect(checks).toEqual([
      { name: 'shutdown', ok: true },
      { name: 'db', ok },
    ]);
  });

  it('does not list non-critical sources', () => {
    const checks = readinessChecks([sourceState({ name: 'cache', status: 'error', critical: false })], false);
    expect(checks.map((c) => c.name)).toEqual(['shutdown']);
  });

  it('fails the shutdown check once shutdown began', () => {
    expect(readinessChecks([], true)).toEqual([{ name: 'shutdown', ok: false }]);
  });
});

describe('renderProbe', () => {
  const failing = [
    { name: 'shutdown', ok: true },
    { name: 'db', ok: false },
  ];

  it.each([
    ['passing, terse', livenessChecks(), false, [], 'livez', 200, 'ok'],
    ['passing, verbose', livenessChecks(), true, [], 'livez', 200, '[+]ping ok\nlivez check passed\n'],
    ['failing, terse', failing, false, [], 'readyz', 503, '[+]shutdown ok\n[-]db failed: reason withheld\nreadyz check failed\n'],
    ['failing, verbose', failing, true, [], 'readyz', 503, '[+]shutdown ok\n[-]db failed: reason withheld\nreadyz check failed\n'],
    ['failing check excluded', failing, false, ['db'], 'readyz', 200, 'ok'],
    [
      'excluding an unknown check',
      failing,
      true,
      ['db', 'nope'],
      'readyz',
      200,
      '[+]shutdown ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nreadyz check passed\n',
    ],
  ] as const)('%s', (_label, checks, verbose, exclude, probe, code, text) => {
    expect(renderProbe(probe, checks, { verbose, exclude })).toEqual({ httpStatus: code, text });
  });

  it('keeps a name with a line break on its own line', () => {
    const { text } = renderProbe('readyz', [{ name: 'a\n[+]b', ok: false }], { verbose: true, exclude: [] });
    expect(text.split('\n')).toEqual(['[-]a [+]b failed: reason withheld', 'readyz check failed', '']);
  });
});

describe('Prometheus text format', () => {
  it.each([
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['"quoted"', '\\"quoted\\"'],
    ['two\nlines', 'two\\nlines'],
  ])('escapes the label value %j', (value, expected) => {
    expect(escapeLabelValue(value)).toBe(expected);
  });

  it.each([
    [1, '1'],
    [0.0123, '0.0123'],
    [Number.NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('writes the sample %d as %s', (value, expected) => {
    expect(formatSampleValue(value)).toBe(expected);
  });

  const metrics = renderMetrics({
    states: [
      sourceState({ name: 'app-db', kind: 'postgres', status: 'ok', latencyMs: 12.5, timestamp: '2025-01-01T00:00:10.000Z' }),
      sourceState({ name: 'cache', kind: 'redis', status: 'timeout', latencyMs: 200 }),
      sourceState({ name: 'we"ird\\name', kind: 'bogus\nkind', status: 'failed' }),
      sourceState({ name: 'new', kind: 'http' }),
      sourceState({ name: 'noisy', kind: 'http', status: 'ok', latencyMs: 513.45 }),
    ],
    version: '1.2.3',
    gitHash: 'abc123',
    uptimeMs: 90_500,
  });
  const lines = metrics.split('\n');

  it.each([
    'vigil_source_up{source="app-db",kind="postgres"} 1',
    'vigil_source_up{source="cache",kind="redis"} 0',
    'vigil_source_up{source="new",kind="http"} 0',
    'vigil_source_status{source="app-db",kind="postgres",status="ok"} 1',
    'vigil_source_status{source="app-db",kind="postgres",status="error"} 0',
    'vigil_source_status{source="cache",kind="redis",status="timeout"} 1',
    'vigil_source_status{source="we\\"ird\\\\name",kind="bogus\\nkind",status="failed"} 1',
    'vigil_source_status{source="new",kind="http",status="unknown"} 1',
    'vigil_source_latency_seconds{source="app-db",kind="postgres"} 0.0125',
    'vigil_source_latency_seconds{source="noisy",kind="http"} 0.51345',
    'vigil_source_last_check_timestamp_seconds{source="app-db",kind="postgres"} 1735689610',
    'vigil_build_info{version="1.2.3",git_hash="abc123"} 1',
    'vigil_uptime_seconds 90.5',
  ])('has the sample %s', (line) => {
    expect(lines).toContain(line);
  });

  it('is one-hot: exactly one status per source is 1', () => {
    const ones = lines.filter((l) => l.startsWith('vigil_source_status{') && l.endsWith(' 1'));
    expect(ones).toHaveLength(5);
  });

  it('gives no latency or timestamp for a source not checked yet', () => {
    expect(metrics).not.toMatch(/vigil_source_latency_seconds\{source="new"/);
    expect(metrics).not.toMatch(/vigil_source_last_check_timestamp_seconds\{source="new"/);
  });

  it('declares each family once, HELP then TYPE gauge, before its samples, and ends with a line feed', () => {
    const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(families).toEqual([
      'vigil_source_up',
      'vigil_source_status',
      'vigil_source_latency_seconds',
      'vigil_source_last_check_timestamp_seconds',
      'vigil_build_info',
      'vigil_uptime_seconds',
    ]);
    for (const family of families) {
      const help = lines.indexOf(lines.find((l) => l.startsWith(`# HELP ${family} `)) ?? '');
      expect(lines[help + 1]).toBe(`# TYPE ${family} gauge`);
    }
    expect(metrics.endsWith('\n')).toBe(true);
  });

  it('every sample line matches the exposition grammar', () => {
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*",?)*\})? (NaN|[+-]Inf|-?[0-9.e+-]+)$/;
    for (const line of lines.filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(sample);
  });
});
