import type { HttpDetails } from '../../src/checks/details.ts';
import { describe, expect, it } from 'vitest';
import { runCheck, secretsOf } from '../../src/checks/run-check.ts';
import { CheckConfigError, CheckFailure, type SourceDefinition } from '../../src/checks/types.ts';
import { createCheckHandle } from '../../src/engine/check-handle.ts';
import { sourceDefinition } from '../support/source-states.ts';
import { fail, hang, ok, scriptedCheck, type Step } from './scripted-check.ts';

function source(overrides: Partial<SourceDefinition> = {}): SourceDefinition {
  return { ...sourceDefinition('web', 'http'), intervalMs: 10_000, timeoutMs: 500, retries: 0, retryIntervalMs: 20, ...overrides };
}

describe('runCheck', () => {
  it('turns an outcome into an ok result with latency, details and the given clock', async () => {
    const result = await runCheck(source(), scriptedCheck([ok]), { now: () => Date.parse('2030-01-02T03:04:05.000Z') });
    expect(result).toEqual({
      source: 'web',
      kind: 'http',
      status: 'ok',
      latencyMs: expect.any(Number),
      details: { figure: 1 },
      timestamp: '2030-01-02T03:04:05.000Z',
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps a degraded outcome and its message', async () => {
    const result = await runCheck(source(), scriptedCheck([async () => ({ status: 'degraded', message: 'http: slow answer' })]));
    expect(result).toMatchObject({ status: 'degraded', error: 'http: slow answer' });
  });

  it.each<{ thrown: string; step: Step; status: string; message: string }>([
    { thrown: 'an error naming the dependency', step: fail('http: connect failed: ECONNREFUSED'), status: 'error', message: 'http: connect failed: ECONNREFUSED' },
    { thrown: 'an error without the dependency', step: fail('socket hang up'), status: 'error', message: 'http: socket hang up' },
    { thrown: 'a non-error', step: () => Promise.reject('weird'), status: 'error', message: 'http: weird' },
    {
      thrown: 'a configuration error',
      step: () => Promise.reject(new CheckConfigError('source "web" (http): option "url" must be set')),
      status: 'failed',
      message: 'source "web" (http): option "url" must be set',
    },
  ])('turns $thrown into $status', async ({ step, status, message }) => {
    expect(await runCheck(source(), scriptedCheck([step]))).toMatchObject({ status, error: message });
  });

  it('keeps the details of a CheckFailure on an error result', async () => {
    const step: Step = async () => {
      throw new CheckFailure('http: answered 503', { status_code: 503 } as HttpDetails);
    };
    expect(await runCheck(source(), scriptedCheck([step]))).toMatchObject({ status: 'error', details: { status_code: 503 } });
  });

  it('does not wait for a hung check: timeout at the deadline, signal aborted, client reset', async () => {
    const check = scriptedCheck([hang], { withReset: true });
    const started = performance.now();
    const result = await runCheck(source({ timeoutMs: 200 }), check);
    expect(performance.now() - started).toBeLessThan(200 + 150);
    expect(result).toMatchObject({ status: 'timeout', error: 'http: no answer within 200 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(195);
    expect(check.signals[0]?.aborted).toBe(true);
    expect(check.resets()).toBe(1);
  });

  it('closes a check without reset after a timeout and builds a new one for the next attempt', async () => {
    const built = [scriptedCheck([hang]), scriptedCheck([ok])];
    let next = 1;
    const definition = source({ timeoutMs: 100, retries: 1, retryIntervalMs: 10 });
    const handle = createCheckHandle(definition, () => built[next++] ?? scriptedCheck([ok]), built[0] as never);
    const result = await runCheck(definition, handle);
    expect(result.status).toBe('ok');
    expect(built[0]?.closed()).toBe(1);
    expect(built[1]?.runs()).toBe(1);
    await handle.close();
    expect(built[1]?.closed()).toBe(1);
  });

  it('retries a failing check and reports the first success', async () => {
    const check = scriptedCheck([fail('http: boom'), fail('http: boom'), ok]);
    const result = await runCheck(source({ retries: 2, retryIntervalMs: 30 }), check);
    expect(result.status).toBe('ok');
    expect(check.runs()).toBe(3);
    const [first, second, third] = check.startedAt as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(29);
    expect(third - second).toBeGreaterThanOrEqual(29);
  });

  it('reports error only after 1 + retries attempts failed, saying how many', async () => {
    const check = scriptedCheck([fail('http: boom')]);
    const result = await runCheck(source({ retries: 2 }), check);
    expect(check.runs()).toBe(3);
    expect(result).toMatchObject({ status: 'error', error: 'http: boom (after 3 attempts)' });
  });

  it('retries a timeout too', async () => {
    const check = scriptedCheck([hang, ok], { withReset: true });
    expect((await runCheck(source({ timeoutMs: 80, retries: 1 }), check)).status).toBe('ok');
  });

  it.each<{ outcome: string; step: Step }>([
    { outcome: 'a configuration error', step: () => Promise.reject(new CheckConfigError('bad')) },
    { outcome: 'a degraded outcome', step: async () => ({ status: 'degraded' }) },
  ])('does not retry $outcome', async ({ step }) => {
    const check = scriptedCheck([step, ok]);
    await runCheck(source({ retries: 3 }), check);
    expect(check.runs()).toBe(1);
  });

  it('fits the retries of a hanging check into the interval, cutting the last deadline short', async () => {
    // Attempt 1 times out at 100 ms; the retry waits min(120, 180 / 2) = 90 ms and gets the
    // 90 ms left instead of its 100 ms timeout; then nothing is left for a third attempt.
    const check = scriptedCheck([hang], { withReset: true });
    const started = performance.now();
    const result = await runCheck(source({ intervalMs: 280, timeoutMs: 100, retries: 3, retryIntervalMs: 120 }), check);
    expect(performance.now() - started).toBeLessThan(280 + 100);
    expect(check.runs()).toBe(2);
    expect(result.status).toBe('timeout');
    expect(result.error).toMatch(/^http: no answer within [89]\d ms \(after 2 attempts\)$/);
  });

  it('compresses quick retries into the interval when retry_interval does not fit', async () => {
    // Waits of 150 and 75 ms (half the time left each); a third wait would leave under 50 ms.
    const check = scriptedCheck([fail('http: refused')]);
    const started = performance.now();
    const result = await runCheck(source({ intervalMs: 300, timeoutMs: 300, retries: 5, retryIntervalMs: 1_000 }), check);
    const elapsed = performance.now() - started;
    expect(check.runs()).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(220);
    expect(elapsed).toBeLessThan(300 + 100);
    expect(result.error).toBe('http: refused (after 3 attempts)');
  });

  it('settles at once when its signal aborts, abandoning the attempt', async () => {
    const stop = new AbortController();
    const check = scriptedCheck([hang]);
    const running = runCheck(source({ timeoutMs: 5_000 }), check, { signal: stop.signal });
    setTimeout(() => stop.abort(), 20);
    const started = performance.now();
    const result = await running;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.error).toContain('aborted');
    expect(check.signals[0]?.aborted).toBe(true);
  });

  it('hands an attempt a signal no other attempt can abort: a reused one only when its last attempt ended on its own and left no listener', async () => {
    const abortedAtStart: boolean[] = [];
    const quick: Step = async (signal) => {
      abortedAtStart.push(signal.aborted);
      return { details: {} };
    };
    const leave: Step = async (signal) => {
      signal.addEventListener('abort', () => undefined);
      return quick(signal);
    };
    // Hangs until its deadline aborts it, then rejects (its own listener gone with the abort).
    const hung: Step = (signal) => {
      abortedAtStart.push(signal.aborted);
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    };
    // Runs in turn: ok, ok, ok leaving a listener, ok, hang (timeout), ok x3.
    const check = scriptedCheck([quick, quick, leave, quick, hung, quick]);
    for (let i = 0; i < 4; i += 1) await runCheck(source(), check);
    expect((await runCheck(source({ timeoutMs: 30 }), check)).status).toBe('timeout');
    for (let i = 0; i < 3; i += 1) await runCheck(source(), check);
    const signals = check.signals;
    // Taken back after an outcome and reused: no new AbortSignal per attempt.
    expect(signals[1]).toBe(signals[0]);
    // A check that still listens when its run ends keeps its signal to itself.
    expect(signals[3]).not.toBe(signals[2]);
    // A timed-out attempt's signal is aborted, and never handed out again.
    expect(signals[4]?.aborted).toBe(true);
    expect(signals.slice(5)).not.toContain(signals[4]);
    // No attempt was handed a signal that had been aborted.
    expect(abortedAtStart).toEqual(Array.from({ length: 8 }, () => false));
  });

  it('masks every secret of the source in messages and details', async () => {
    const definition = source({
      options: {
        url: 'http://probe:url-pass-1234@127.0.0.1/',
        password: 'p4ssw0rd-abc',
        headers: { Authorization: 'Bearer tok-xyz-987' },
        nested: { api_key: 'key-555-666' },
        method: 'GET',
      },
    });
    const leaky: Step = async () => {
      throw new CheckFailure('http: rejected p4ssw0rd-abc, Bearer tok-xyz-987, key-555-666, url-pass-1234, http://probe:url-pass-1234@127.0.0.1/', {
        echoed: ['p4ssw0rd-abc', { deeper: 'token tok-xyz-987' }],
      } as unknown as HttpDetails);
    };
    const result = await runCheck(definition, scriptedCheck([leaky]));
    const text = JSON.stringify(result);
    for (const secret of ['p4ssw0rd-abc', 'tok-xyz-987', 'key-555-666', 'url-pass-1234']) expect(text).not.toContain(secret);
    expect(result.error).toContain('http: rejected ***');
    expect(result.details).toEqual({ echoed: ['***', { deeper: 'token ***' }] });
  });

  it('collects secrets by key name and from URL passwords only', () => {
    const secrets = secretsOf(source({ options: { url: 'redis://:pw%40x@h:6379', client_secret: 'cs-1', method: 'GET', tags: ['a'] } }));
    expect(secrets).toEqual(expect.arrayContaining(['pw@x', 'pw%40x', 'cs-1']));
    expect(secrets).not.toContain('GET');
  });
});
