// Many sources: first runs spread by a stable phase, probes bounded by a limit, and a queued
// probe is late rather than a `timeout`.
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult, SourceDefinition } from '../../src/checks/types.ts';
import { createHealthEngine } from '../../src/engine/engine.ts';
import { createProbeLimiter } from '../../src/engine/limiter.ts';
import { firstRunDelayMs, phaseOf } from '../../src/engine/phase.ts';
import type { HealthEngine } from '../../src/engine/types.ts';
import { createLogger } from '../../src/log.ts';
import { sourceDefinition } from '../support/source-states.ts';
import { scriptedCheck, slow, type ScriptedCheck } from './scripted-check.ts';

const engines: HealthEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

const silent = createLogger({ level: 'silent' });

function sources(count: number, overrides: Partial<SourceDefinition> = {}): SourceDefinition[] {
  return Array.from({ length: count }, (_, i) => ({ ...sourceDefinition(`src-${i}`, 'http'), intervalMs: 60_000, timeoutMs: 1_000, ...overrides }));
}

describe('first-run phases', () => {
  it('are stable per name and spread evenly over [0, 1)', () => {
    expect(phaseOf('app-db')).toBe(phaseOf('app-db'));
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i += 1) buckets[Math.floor(phaseOf(`source-${i}`) * 10)]! += 1;
    // 2,000 expected per tenth; a hash that clumps would leave some far off.
    for (const count of buckets) expect(count).toBeGreaterThan(1_700);
    for (const count of buckets) expect(count).toBeLessThan(2_300);
  });

  it('start a few sources at once and spread thousands over their interval', () => {
    // 20 sources: within 20 ms. 20,000 at 10 s: the window is the whole interval.
    expect(Math.max(...sources(20).map((s) => firstRunDelayMs(s.name, 10_000, 20)))).toBeLessThan(20);
    const delays = sources(20_000).map((s) => firstRunDelayMs(s.name, 10_000, 20_000));
    expect(Math.max(...delays)).toBeLessThan(10_000);
    expect(Math.max(...delays)).toBeGreaterThan(9_900);
    expect(delays.filter((d) => d < 1_000).length).toBeLessThan(2_300);
  });
});

describe('the probe limiter', () => {
  it('runs at most `max` at once, first come first served, and refuses a bad limit', async () => {
    const limiter = createProbeLimiter(3);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          running += 1;
          most = Math.max(most, running);
          order.push(i);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(limiter.load()).toEqual({ running: 0, waiting: 0 });
    expect(() => createProbeLimiter(0)).toThrow(/positive integer/);
  });

  it('releases a slot when the work throws', async () => {
    const limiter = createProbeLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('the engine with many sources', () => {
  it('spreads first runs over the window and never runs more probes at once than the limit', async () => {
    const count = 400;
    let running = 0;
    let most = 0;
    const checks = new Map<string, ScriptedCheck>();
    const engine = createHealthEngine({
      sources: sources(count),
      logger: silent,
      maxConcurrentProbes: 7,
      // 400 sources at 1000 a second: a 400 ms window.
      firstRunsPerSecond: 1_000,
      createCheck: (definition) => {
        const check = scriptedCheck([
          async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 1));
            running -= 1;
            return {};
          },
        ]);
        checks.set(definition.name, check);
        return check;
      },
    });
    engines.push(engine);
    const started = performance.now();
    engine.start();
    await engine.ready();
    const firsts = [...checks.values()].map((check) => (check.startedAt[0] as number) - started);
    expect(most).toBeLessThanOrEqual(7);
    // Not all at once: the earliest and the latest first runs are at least ~300 ms apart.
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(300);
    expect(engine.sources().every((state) => state.latest?.status === 'ok')).toBe(true);
    expect(engine.revision().statuses).toBe(count);
  });

  it('reports a probe that waited for its turn as ok, not timeout', async () => {
    // One slot, probes of 150 ms against a 200 ms timeout: the third waits 300 ms in the queue.
    const engine = createHealthEngine({
      sources: sources(3, { timeoutMs: 200 }),
      logger: silent,
      maxConcurrentProbes: 1,
      createCheck: () => scriptedCheck([slow(150)]),
    });
    engines.push(engine);
    engine.start();
    await engine.ready();
    const statuses = engine.sources().map((state) => (state.latest as CheckResult).status);
    expect(statuses).toEqual(['ok', 'ok', 'ok']);
  });

  it('hands out one snapshot array until the next result', async () => {
    const engine = createHealthEngine({ sources: sources(2), logger: silent, createCheck: () => scriptedCheck([slow(1)]) });
    engines.push(engine);
    engine.start();
    await engine.ready();
    const first = engine.sources();
    expect(engine.sources()).toBe(first);
    const before = engine.revision();
    await engine.runNow('src-0');
    expect(engine.sources()).not.toBe(first);
    expect(engine.revision().results).toBe(before.results + 1);
    // Same status again: the status revision does not move.
    expect(engine.revision().statuses).toBe(before.statuses);
  });
});
