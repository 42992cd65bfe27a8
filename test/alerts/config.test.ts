// The `alerts` section: notifiers with their secrets from the environment, rules naming
// sources and notifiers, maintenance windows; a bad one refused naming its key.
import { ruleLookup } from '../../src/alerts/service.ts';
import type { AlertRule } from '../../src/alerts/types.ts';
import { buildConfig, ConfigError } from '../../src/config/build.ts';
import { describe, expect, it } from 'vitest';

function build(alerts: unknown, env: Record<string, string> = {}) {
  return buildConfig({
    raw: { sources: [{ name: 'db', kind: 'postgres', url: 'postgres://127.0.0.1/x' }], alerts },
    origins: new Map(),
    secrets: { env, baseDir: process.cwd() },
    where: 'test',
  });
}

function issuesOf(alerts: unknown): string[] {
  try {
    build(alerts);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('alerts configuration', () => {
  it('reads notifiers (secrets from the environment), rules with defaults, maintenance and delivery', () => {
    const config = build(
      {
        notifiers: [
          { name: 'hook', kind: 'webhook', url: 'https://hooks.example.test/x', secret: { env: 'HOOK_SECRET' } },
          { name: 'pager', kind: 'pagerduty', routing_key: { env: 'PD_KEY' } },
          { name: 'mail', kind: 'email', host: 'smtp.example.test', from: 'v@example.test', to: 'ops@example.test' },
        ],
        rules: [{ sources: ['db'], notify: ['hook', 'pager'] }, { sources: ['*'], notify: ['mail'], failure_threshold: 5 }],
        maintenance: [{ start: '23:30', duration: '2h', every: ['Sunday'] }, { from: '2026-12-24T20:00:00Z', to: '2026-12-25T08:00:00Z', sources: ['db'] }],
      },
      { HOOK_SECRET: 's3cret', PD_KEY: 'pd-key' },
    ).alerts;
    expect(config.notifiers).toEqual([
      { name: 'hook', kind: 'webhook', url: 'https://hooks.example.test/x', secret: 's3cret', headers: {} },
      { name: 'pager', kind: 'pagerduty', routingKey: 'pd-key', url: 'https://events.pagerduty.com/v2/enqueue', severity: 'critical' },
      { name: 'mail', kind: 'email', host: 'smtp.example.test', port: 587, secure: false, username: undefined, password: undefined, from: 'v@example.test', to: ['ops@example.test'] },
    ]);
    expect(config.rules).toEqual([
      { sources: ['db'], notify: ['hook', 'pager'], failureThreshold: 3, successThreshold: 2 },
      { sources: ['*'], notify: ['mail'], failureThreshold: 5, successThreshold: 2 },
    ]);
    expect(config.maintenance).toEqual([
      { sources: [], startMinute: 23 * 60 + 30, durationMs: 7_200_000, weekdays: [0] },
      { sources: ['db'], from: Date.parse('2026-12-24T20:00:00Z'), to: Date.parse('2026-12-25T08:00:00Z') },
    ]);
    expect(config.delivery).toEqual({ maxAttempts: 12, initialBackoffMs: 5_000, maxBackoffMs: 900_000, timeoutMs: 10_000 });
  });

  it.each([
    [{ notifiers: [{ name: 'x', kind: 'fax' }] }, 'alerts.notifiers[0].kind must be one of webhook, slack, pagerduty, email (each notifier is a mapping with name and kind)'],
    [{ notifiers: [{ name: 'x', kind: 'slack' }] }, 'alerts.notifiers[0].url must be a non-empty string, { env: NAME } or { file: path }'],
    [{ notifiers: [{ name: 'x', kind: 'slack', url: 'ftp://x' }] }, 'alerts.notifiers[0].url must be an http:// or https:// URL'],
    [{ notifiers: [{ name: 'n', kind: 'slack', url: 'https://chat.example.test/x' }], rules: [{ sources: ['nope'], notify: ['n'] }] }, 'alerts.rules[0].sources must be a list of source names (or "*") ("nope" is not one)'],
    [{ rules: [{ sources: ['db'], notify: ['ghost'] }] }, 'alerts.rules[0].notify must be a list of notifier names from alerts.notifiers ("ghost" is not one)'],
    [{ maintenance: [{ start: '25:00', duration: '1h' }] }, 'alerts.maintenance[0] must be a one-off window { from, to } or a recurring one { start: "HH:MM", duration, every? }'],
    [{ rulez: [] }, 'alerts.rulez is not a known key (expected one of notifiers, rules, maintenance, delivery)'],
  ])('refuses %j', (alerts, issue) => {
    expect(issuesOf(alerts)).toEqual([issue]);
  });
});

describe('the rule of a source', () => {
  const rule = (sources: string[]): AlertRule => ({ sources, notify: ['hook'], failureThreshold: 1, successThreshold: 1 });

  it('is the first rule naming it, else the first with *, else none', () => {
    const [a, any, c, laterAny] = [rule(['x', 'y']), rule(['*']), rule(['y', 'z']), rule(['*', 'w'])];
    const of = ruleLookup([a, any, c, laterAny] as AlertRule[]);
    expect(of('x')).toBe(a);
    expect(of('y')).toBe(a);
    expect(of('z')).toBe(c);
    expect(of('w')).toBe(laterAny);
    expect(of('unlisted')).toBe(any);
    expect(ruleLookup([c])('unlisted')).toBeUndefined();
  });
});
