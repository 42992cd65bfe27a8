// The alert state machine, one case per row: thresholds as Kubernetes probes and Gatus count
// them, maintenance silencing, and `resolved` only after a `triggered` was sent.
import { describe, expect, it } from 'vitest';
import { inMaintenance } from '../../src/alerts/maintenance.ts';
import { advance, INITIAL_STATE, type AlertState } from '../../src/alerts/thresholds.ts';
import type { CheckStatus } from '../../src/checks/types.ts';

type Row = { name: string; statuses: (CheckStatus | `${CheckStatus}*`)[]; expected: (string | undefined)[] };
// `*` marks a result inside a maintenance window.
const rows: Row[] = [
  { name: 'one blip: no alert', statuses: ['ok', 'error', 'ok', 'ok'], expected: [undefined, undefined, undefined, undefined] },
  { name: 'three failures trigger once', statuses: ['error', 'timeout', 'failed', 'error', 'error'], expected: [undefined, undefined, 'triggered', undefined, undefined] },
  { name: 'degraded is not a failure', statuses: ['degraded', 'degraded', 'degraded'], expected: [undefined, undefined, undefined] },
  {
    name: 'two passes resolve once; one pass is not enough',
    statuses: ['error', 'error', 'error', 'ok', 'error', 'ok', 'ok', 'ok'],
    expected: [undefined, undefined, 'triggered', undefined, undefined, undefined, 'resolved', undefined],
  },
  {
    name: 'a change inside maintenance is silent, and so is its end',
    statuses: ['error*', 'error*', 'error*', 'ok*', 'ok*'],
    expected: [undefined, undefined, undefined, undefined, undefined],
  },
  {
    name: 'still down when maintenance ends: triggered then, resolved later',
    statuses: ['error*', 'error*', 'error*', 'error', 'ok', 'ok'],
    expected: [undefined, undefined, undefined, 'triggered', undefined, 'resolved'],
  },
  {
    name: 'down before maintenance: the resolve inside it is still sent (the incident was announced)',
    statuses: ['error', 'error', 'error', 'ok*', 'ok*'],
    expected: [undefined, undefined, 'triggered', undefined, 'resolved'],
  },
];

describe('advance', () => {
  for (const row of rows) {
    it(row.name, () => {
      let state: AlertState = INITIAL_STATE;
      const emitted = row.statuses.map((raw, i) => {
        const silenced = raw.endsWith('*');
        const status = raw.replace('*', '') as CheckStatus;
        const step = advance(state, status, 1_000 * i, { failureThreshold: 3, successThreshold: 2 }, silenced);
        state = step.state;
        return step.emit;
      });
      expect(emitted).toEqual(row.expected);
    });
  }

  it('dates the incident from its first failing result', () => {
    let state = INITIAL_STATE;
    for (const [i, status] of (['ok', 'error', 'error', 'error'] as const).entries()) {
      state = advance(state, status, 1_000 * i, { failureThreshold: 3, successThreshold: 1 }, false).state;
    }
    expect(state).toMatchObject({ down: true, notified: true, incidentStartedAt: 1_000 });
  });
});

describe('inMaintenance', () => {
  const sunday2am = Date.parse('2026-11-29T02:10:00Z'); // a Sunday
  it.each([
    ['a one-off window', [{ sources: [], from: sunday2am - 1, to: sunday2am + 1 }], 'db', sunday2am, true],
    ['outside a one-off window', [{ sources: [], from: sunday2am + 1, to: sunday2am + 2 }], 'db', sunday2am, false],
    ['a daily window', [{ sources: [], startMinute: 120, durationMs: 1_800_000, weekdays: [] }], 'db', sunday2am, true],
    ['a weekly window on another day', [{ sources: [], startMinute: 120, durationMs: 1_800_000, weekdays: [1] }], 'db', sunday2am, false],
    ['a window from the day before (23:00 for 4 h)', [{ sources: [], startMinute: 23 * 60, durationMs: 4 * 3_600_000, weekdays: [6] }], 'db', sunday2am, true],
    ['another source', [{ sources: ['cache'], from: sunday2am - 1, to: sunday2am + 1 }], 'db', sunday2am, false],
  ] as const)('%s', (_name, windows, source, at, expected) => {
    expect(inMaintenance(windows, source, at)).toBe(expected);
  });
});
