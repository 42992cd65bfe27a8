import { afterEach, describe, expect, it } from 'vitest';
import { createHttpCheck } from '../../src/checks/http.ts';
import type { Check, CheckResult, SourceDefinition } from '../../src/checks/types.ts';
import { createHealthEngine, type HealthEngineInput } from '../../src/engine/engine.ts';
import type { HealthEngine } from '../../src/engine/types.ts';
import { createLogger } from '../../src/log.ts';
import { startHttpServer } from '../support/servers/http.ts';
import { startSilentTcpServer } from '../support/servers/silent-tcp.ts';
import { sourceDefinition } from '../support/source-states.ts';
import { fail, hang, ok, scriptedCheck, slow, type ScriptedCheck } from './scripted-check.ts';

function source(name: string, overrides: Partial<SourceDefinition> = {}): SourceDefinition {
  return { ...sourceDefinition(name, 'http'), intervalMs: 60_000, timeoutMs: 1_000, retries: 0, retryIntervalMs: 20, ...overrides };
}

const engines: HealthEngine[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function captureLogs(): { logger: HealthEngineInput['logger']; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }), lines };
}

/** An engine over scripted checks, keyed by source name. */
function engineWith(checks: Record<string, Check>, definitions: readonly SourceDefinition[], extra: Partial<HealthEngineInput> = {}) {
  const { logger, lines } = captureLogs();
  const engine = createHealthEngine({
    sources: definitions,
    invalidSources: [],
    logger,
    createCheck: (definition) => {
      const check = checks[definition.name];
      if (!check) throw new Error(`no check scripted for ${definition.name}`);
      return check;
    },
    ...extra,
  });
  engines.push(engine);
  return { engine, lines };
}

/** Every distinct result the engine records for `name` while polled (the engine keeps the last only). */
function recorder(engine: HealthEngine, name: string): () => CheckResult[] {
  const seen: CheckResult[] = [];
  return () => {
    const latest = engine.source(name)?.latest;
    if (latest && !seen.includes(latest)) seen.push(latest);
    return seen;
  };
}

const gaps = (times: readonly number[]): number[] => times.slice(1).map((t, i) => t - (times[i] as number));

describe('the health engine scheduler', () => {
  /** Each gap at least 60 % of the interval, and on average within 5 ms of it or above. */
  function expectIntervals(found: readonly number[], intervalMs: number): void {
    expect(found.length).toBeGreaterThan(0);
    for (const gap of found) expect(gap).toBeGreaterThanOrEqual(intervalMs * 0.6);
    expect(found.reduce((sum, gap) => sum + gap, 0) / found.length).toBeGreaterThanOrEqual(intervalMs - 5);
  }

  it('runs each source on its own interval', async () => {
    const fast = scriptedCheck([ok]);
    const slower = scriptedCheck([ok]);
    const { engine } = engineWith({ fast, slower }, [source('fast', { intervalMs: 50 }), source('slower', { intervalMs: 200 })]);
    engine.start();
    await expect.poll(() => fast.runs(), { timeout: 3_000 }).toBeGreaterThanOrEqual(4);
    // Fixed rate: a run starts one interval after the previous run's tick, so one gap is short
    // by whatever delayed the previous run's start (a collection under load, 10 ms seen in CI),
    // but the gaps add up to the intervals.
    expectIntervals(gaps(fast.startedAt), 50);
    await expect.poll(() => slower.runs(), { timeout: 3_000 }).toBeGreaterThanOrEqual(2);
    expectIntervals(gaps(slower.startedAt), 200);
  });

  it('never overlaps two runs of one source, even when a run outlasts the interval', async () => {
    const check = scriptedCheck([slow(120)]);
    const { engine } = engineWith({ web: check }, [source('web', { intervalMs: 30 })]);
    engine.start();
    await expect.poll(() => check.runs(), { timeout: 3_000 }).toBeGreaterThanOrEqual(3);
    expect(check.maxConcurrent()).toBe(1);
  });

  it('shares the run in flight with runNow instead of starting another', async () => {
    const check = scriptedCheck([slow(100, { details: { n: 1 } })]);
    const { engine } = engineWith({ web: check }, [source('web')]);
    engine.start();
    const [first, second] = await Promise.all([engine.runNow('web'), engine.runNow('web')]);
    expect(first).toBe(second);
    expect(check.runs()).toBe(1);
    expect(engine.source('web')?.latest).toBe(first);
  });

  it('keeps probing a fast source while a slow one hangs', async () => {
    const stuck = scriptedCheck([hang]);
    const fast = scriptedCheck([ok]);
    const { engine } = engineWith({ stuck, fast }, [source('stuck', { timeoutMs: 5_000 }), source('fast', { intervalMs: 40 })]);
    engine.start();
    await expect.poll(() => fast.runs(), { timeout: 3_000 }).toBeGreaterThanOrEqual(5);
    expect(stuck.runs()).toBe(1);
    expect(engine.source('stuck')?.latest).toBeUndefined();
    expect(engine.source('fast')?.latest?.status).toBe('ok');
  });

  it('resolves ready() once every source has a result, and at once without sources', async () => {
    const check = scriptedCheck([slow(80)]);
    const { engine } = engineWith({ web: check }, [source('web')]);
    let ready = false;
    void engine.ready().then(() => (ready = true));
    engine.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready).toBe(false);
    await engine.ready();
    expect(engine.source('web')?.latest?.status).toBe('ok');

    const { engine: empty } = engineWith({}, []);
    await expect(empty.ready()).resolves.toBeUndefined();
  });

  it('does not call itself ready while a runnable source listed after a failed one has not run', async () => {
    const check = scriptedCheck([slow(60)]);
    const { engine } = engineWith({ good: check }, [source('bad'), source('good')]);
    expect(engine.source('bad')?.latest?.status).toBe('failed');
    let ready = false;
    void engine.ready().then(() => (ready = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready).toBe(false);
    engine.start();
    await engine.ready();
    expect(engine.source('good')?.latest?.status).toBe('ok');
  });

  it('applies the source retries within one run', async () => {
    const check = scriptedCheck([fail('http: boom'), fail('http: boom'), ok]);
    const { engine } = engineWith({ web: check }, [source('web', { retries: 2, retryIntervalMs: 10 })]);
    const result = await engine.runNow('web');
    expect(result.status).toBe('ok');
    expect(check.runs()).toBe(3);
    expect(engine.source('web')?.latest).toBe(result);
  });

  it('logs each status change once, not every run', async () => {
    const check = scriptedCheck([ok, ok, fail('http: boom'), fail('http: boom'), ok]);
    const { engine, lines } = engineWith({ web: check }, [source('web')]);
    for (let i = 0; i < 5; i += 1) await engine.runNow('web');
    const changes = lines.map((line) => JSON.parse(line) as { msg: string; status: string; previous: string | null });
    expect(changes.map((c) => [c.previous, c.status])).toEqual([
      [null, 'ok'],
      ['ok', 'error'],
      ['error', 'ok'],
    ]);
    expect(changes[1]?.msg).toBe('source "web" is error');
  });

  it('rejects runNow for a source it does not know', async () => {
    const { engine } = engineWith({}, []);
    await expect(engine.runNow('nope')).rejects.toThrow('unknown source "nope"');
  });
});

describe('the health engine with real dependencies', () => {
  it('gives timeout for a listener that never answers, within the timeout plus a small margin', async () => {
    const silent = await startSilentTcpServer();
    cleanups.push(() => silent.close());
    const { logger } = captureLogs();
    const engine = createHealthEngine({
      sources: [source('blackhole', { kind: 'http', timeoutMs: 250, intervalMs: 400, options: { url: silent.url } })],
      invalidSources: [],
      logger,
      createCheck: createHttpCheck,
    });
    engines.push(engine);
    const started = performance.now();
    engine.start();
    await engine.ready();
    expect(performance.now() - started).toBeLessThan(250 + 250);
    expect(engine.source('blackhole')?.latest).toMatchObject({ status: 'timeout', error: 'http: no answer within 250 ms' });

    // The next runs time out too, and no socket piles up on the listener.
    const blackholeRuns = recorder(engine, 'blackhole');
    await expect.poll(() => blackholeRuns().length, { timeout: 3_000 }).toBeGreaterThanOrEqual(3);
    expect(blackholeRuns().every((r) => r.status === 'timeout')).toBe(true);
    await expect.poll(() => silent.open(), { timeout: 2_000 }).toBeLessThanOrEqual(1);
  });

  it('reports a bad configuration as failed at once and keeps checking everything else', async () => {
    const web = await startHttpServer();
    cleanups.push(() => web.close());
    const { logger } = captureLogs();
    const engine = createHealthEngine({
      sources: [
        source('front', { options: { url: web.url }, intervalMs: 100 }),
        source('typo', { kind: 'mongo' }),
        source('broken-url', { options: { url: 'not a url' } }),
      ],
      invalidSources: [{ definition: source('cache', { kind: 'redis' }), reason: 'source "cache": secret env REDIS_PASSWORD is not set' }],
      logger,
    });
    engines.push(engine);

    // Before anything ran: the unusable sources are already failed, with what to fix.
    expect(engine.sources().map((s) => [s.definition.name, s.latest?.status])).toEqual([
      ['front', undefined],
      ['typo', 'failed'],
      ['broken-url', 'failed'],
      ['cache', 'failed'],
    ]);
    expect(engine.source('typo')?.latest?.error).toBe(
      'source "typo": unknown kind "mongo"; expected one of postgres, mysql, redis, rabbitmq, elasticsearch, nats, qdrant, http, filesystem, resources, consistency',
    );
    expect(engine.source('broken-url')?.latest?.error).toBe('source "broken-url" (http): option "url" must be a valid URL (http:// or https://...)');
    expect(engine.source('cache')?.latest?.error).toBe('source "cache": secret env REDIS_PASSWORD is not set');

    engine.start();
    await engine.ready();
    expect(engine.source('front')?.latest?.status).toBe('ok');
    const frontRuns = recorder(engine, 'front');
    await expect.poll(() => frontRuns().length, { timeout: 3_000 }).toBeGreaterThanOrEqual(3);
    const typo = engine.source('typo')?.latest;
    expect((await engine.runNow('typo')).status).toBe('failed');
    expect(engine.source('typo')?.latest).toBe(typo);
  });

  it('keeps every secret out of results and log lines', async () => {
    const web = await startHttpServer({ answer: { status: 401, body: 'denied' } });
    cleanups.push(() => web.close());
    const { logger, lines } = captureLogs();
    const leaky = scriptedCheck([fail('redis: AUTH failed: WRONGPASS invalid password r3dis-pass-42')]);
    const engine = createHealthEngine({
      sources: [
        source('front', { options: { url: web.url.replace('http://', 'http://ops:url-pass-314@'), headers: { authorization: 'Bearer tok-271828' } } }),
        source('cache', { kind: 'redis', options: { host: '127.0.0.1', password: 'r3dis-pass-42' } }),
      ],
      invalidSources: [{ definition: source('queue', { kind: 'rabbitmq', options: { password: 'rabbit-pass-7' } }), reason: 'cannot use rabbit-pass-7 here' }],
      logger,
      createCheck: (definition) => (definition.name === 'cache' ? leaky : createHttpCheck(definition)),
    });
    engines.push(engine);
    engine.start();
    await engine.ready();
    expect(engine.source('front')?.latest?.status).toBe('error');
    expect(engine.source('cache')?.latest?.error).toBe('redis: AUTH failed: WRONGPASS invalid password ***');
    expect(web.requests[0]?.headers.authorization).toBe('Bearer tok-271828');

    const everything = JSON.stringify(engine.sources().map((s) => s.latest)) + lines.join('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const secret of ['url-pass-314', 'tok-271828', 'r3dis-pass-42', 'rabbit-pass-7']) expect(everything).not.toContain(secret);
  });
});

describe('stopping the health engine', () => {
  it('aborts runs in flight, closes every check and schedules nothing more', async () => {
    const stuck = scriptedCheck([hang]);
    const fast = scriptedCheck([ok]);
    const { engine } = engineWith({ stuck, fast }, [source('stuck', { timeoutMs: 10_000 }), source('fast', { intervalMs: 30 })]);
    engine.start();
    await expect.poll(() => fast.runs(), { timeout: 3_000 }).toBeGreaterThanOrEqual(2);

    const started = performance.now();
    await engine.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(stuck.signals[0]?.aborted).toBe(true);
    expect([stuck.closed(), fast.closed()]).toEqual([1, 1]);

    const runsAtStop = fast.runs();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fast.runs()).toBe(runsAtStop);
    await expect(engine.runNow('fast')).rejects.toThrow('stopped');
    await engine.stop();
    expect(fast.closed()).toBe(1);
  });

  it('closes a check that timed out without reset and builds a fresh one from the factory', async () => {
    const built: ScriptedCheck[] = [scriptedCheck([hang]), scriptedCheck([ok])];
    let calls = 0;
    const { logger } = captureLogs();
    const engine = createHealthEngine({
      sources: [source('web', { timeoutMs: 100 })],
      invalidSources: [],
      logger,
      createCheck: () => built[calls++] ?? scriptedCheck([ok]),
    });
    engines.push(engine);
    expect((await engine.runNow('web')).status).toBe('timeout');
    expect((await engine.runNow('web')).status).toBe('ok');
    expect(calls).toBe(2);
    expect(built[0]?.closed()).toBe(1);
    await engine.stop();
    expect(built[1]?.closed()).toBe(1);
  });
});
