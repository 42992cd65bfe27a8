// Uptime, daily bars, incidents and latency percentiles from stored history: table tests with
// figures computed by hand.
import { describe, expect, it } from 'vitest';
import { bucketIndex, emptyHistogram, percentile } from '../../src/history/latency.ts';
import { dailyUptime, incidentsOf, uptimeBetween, withLatest, type StatusSpan } from '../../src/history/uptime.ts';

const T0 = Date.parse('2026-11-30T00:00:00Z');
const MIN = 60_000;
const H = 60 * MIN;
const span = (status: StatusSpan['status'], from: number, to: number | null): StatusSpan => ({
  status,
  startedAt: T0 + from,
  endedAt: to === null ? null : T0 + to,
});

describe('uptimeBetween', () => {
  const cases: { name: string; spans: StatusSpan[]; from: number; to: number; expected: number | null }[] = [
    { name: 'no spans: not observed', spans: [], from: 0, to: H, expected: null },
    { name: 'up the whole hour', spans: [span('ok', 0, null)], from: 0, to: H, expected: 1 },
    { name: 'degraded counts as up', spans: [span('degraded', 0, null)], from: 0, to: H, expected: 1 },
    // 0-45 min ok, 45-60 min timeout: 45/60.
    { name: '15 minutes down in an hour', spans: [span('ok', 0, 45 * MIN), span('timeout', 45 * MIN, null)], from: 0, to: H, expected: 0.75 },
    // Watching starts at 30 min; the first half hour is not observed: 30 min up of 30 observed.
    { name: 'time before the first span is not observed', spans: [span('ok', 30 * MIN, null)], from: 0, to: H, expected: 1 },
    // ok 0-10, Vigil stopped 10-40 (closed span, gap), error 40-60: 10 up of 30 observed.
    { name: 'a gap is not observed', spans: [span('ok', 0, 10 * MIN), span('error', 40 * MIN, null)], from: 0, to: H, expected: 1 / 3 },
    // Window 30-90 min over ok 0-60, failed 60-..: 30 up of 60.
    { name: 'spans are clipped to the window', spans: [span('ok', 0, H), span('failed', H, null)], from: 30 * MIN, to: 90 * MIN, expected: 0.5 },
    // Spans entirely outside the window weigh nothing.
    { name: 'spans outside the window', spans: [span('error', 0, 10 * MIN), span('ok', 10 * MIN, null)], from: 20 * MIN, to: H, expected: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = uptimeBetween(c.spans, T0 + c.from, T0 + c.to);
      if (c.expected === null) expect(got).toBeNull();
      else expect(got).toBeCloseTo(c.expected, 10);
    });
  }
});

describe('dailyUptime', () => {
  it('gives one figure per UTC day, oldest first, today observed up to now', () => {
    // Day 1 (2026-11-30): ok all day but 6 h of error (18:00-24:00) -> 0.75.
    // Day 2 (2026-12-01): error continues to 03:00, ok after; now = 06:00 -> 3 up of 6 = 0.5.
    const spans = [span('ok', 0, 18 * H), span('error', 18 * H, 27 * H), span('ok', 27 * H, null)];
    const days = dailyUptime(spans, 3, T0 + 30 * H);
    expect(days).toEqual([
      { date: '2026-11-29', uptime: null },
      { date: '2026-11-30', uptime: 0.75 },
      { date: '2026-12-01', uptime: 0.5 },
    ]);
  });
});

describe('incidentsOf', () => {
  it('merges consecutive down spans into one incident with the worst status, newest first', () => {
    const spans = [
      span('ok', 0, 10 * MIN),
      span('timeout', 10 * MIN, 12 * MIN),
      span('error', 12 * MIN, 15 * MIN),
      span('ok', 15 * MIN, 50 * MIN),
      span('failed', 50 * MIN, null),
    ];
    expect(incidentsOf(spans, T0 + H)).toEqual([
      { status: 'failed', startedAt: T0 + 50 * MIN, endedAt: null, durationMs: 10 * MIN },
      { status: 'error', startedAt: T0 + 10 * MIN, endedAt: T0 + 15 * MIN, durationMs: 5 * MIN },
    ]);
  });

  it('a blip of degraded is no incident; a gap in observation ends one', () => {
    const spans = [span('degraded', 0, 5 * MIN), span('error', 5 * MIN, 8 * MIN), span('error', 20 * MIN, 25 * MIN), span('ok', 25 * MIN, null)];
    expect(incidentsOf(spans, T0 + H)).toEqual([
      { status: 'error', startedAt: T0 + 20 * MIN, endedAt: T0 + 25 * MIN, durationMs: 5 * MIN },
      { status: 'error', startedAt: T0 + 5 * MIN, endedAt: T0 + 8 * MIN, durationMs: 3 * MIN },
    ]);
  });
});

describe('latency percentiles', () => {
  it('are the upper bound of the bucket holding the rank, capped by the maximum', () => {
    const h = emptyHistogram();
    // 90 runs at 3 ms (bucket <=5), 9 at 40 ms (<=50), 1 at 700 ms (<=1000).
    h[bucketIndex(3)] = 90;
    h[bucketIndex(40)] = 9;
    h[bucketIndex(700)] = 1;
    expect(percentile(h, 50, 700)).toBe(5);
    expect(percentile(h, 95, 700)).toBe(50);
    expect(percentile(h, 99, 700)).toBe(50);
    expect(percentile(h, 100, 700)).toBe(700);
    expect(percentile(emptyHistogram(), 50, 0)).toBeNull();
  });

  it('puts latencies above the last bound in the overflow bucket', () => {
    expect(bucketIndex(0.2)).toBe(0);
    expect(bucketIndex(10_000)).toBe(12);
    expect(bucketIndex(25_000)).toBe(13);
  });
});

describe('withLatest', () => {
  it('shows a change the store has not been written yet as an open span', () => {
    const spans = [span('ok', 0, null)];
    expect(withLatest(spans, { status: 'error', at: T0 + 10 * MIN })).toEqual([span('ok', 0, 10 * MIN), span('error', 10 * MIN, null)]);
    expect(withLatest(spans, { status: 'ok', at: T0 + 10 * MIN })).toEqual(spans);
    expect(withLatest([], { status: 'ok', at: T0 })).toEqual([span('ok', 0, null)]);
    expect(withLatest(spans, undefined)).toEqual(spans);
  });
});
