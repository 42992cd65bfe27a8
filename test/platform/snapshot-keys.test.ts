// The fast path reuses a built answer for as long as its key stays the same (fast-path.ts), so
// every snapshot answer's key must move whenever its body would: equal keys, equal bodies. This
// walks the engine through results that change latencies only, statuses, and back, and holds
// every answer of createSnapshotAnswers to that rule; a key too coarse for its body fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/types.ts';
import { createSnapshotAnswers } from '../../src/routes/snapshot-answers.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const HOUR_MS = 3_600_000;

let app: TestApp;

beforeAll(async () => {
  // An hour's interval: after the first runs only the results this test adopts arrive.
  app = await startTestApp({
    sources: [
      { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', critical: true, intervalMs: HOUR_MS },
      { name: 'nowhere', kind: 'http', url: 'http://127.0.0.1:1/', critical: false, intervalMs: HOUR_MS },
    ],
    config: { families: { health: { services: ['cache', 'nowhere'] }, admin: { cache: 'cache' }, status: { components: ['cache'] } } },
    now: () => NOW,
    startedAt: new Date(NOW - 90_000),
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

function result(status: 'ok' | 'error', latencyMs: number, at: number): CheckResult {
  return {
    source: 'cache',
    kind: 'redis',
    status,
    latencyMs,
    timestamp: new Date(NOW + at).toISOString(),
    ...(status === 'error' ? { error: 'redis: ping failed: connection refused', failure: { phase: 'ping', message: 'connection refused' } } : {}),
  } as CheckResult;
}

/** The body as the fast path caches it: without the field it splices in per request. */
function cachedBody(body: unknown, spliced: string | undefined): string {
  if (spliced === undefined || typeof body !== 'object' || body === null) return JSON.stringify(body);
  const { [spliced]: _moving, ...rest } = body as Record<string, unknown>;
  return JSON.stringify(rest);
}

describe('snapshot answer keys', () => {
  it('move whenever their body does (equal keys, equal bodies), for every answer', () => {
    const answers = createSnapshotAnswers(app.deps);
    const seen = new Map<string, Map<string, string>>();
    const keysOf = new Map<string, unknown[]>();
    const steps: CheckResult[] = [result('ok', 1, 1), result('ok', 7, 2), result('error', 3, 3), result('error', 9, 4), result('ok', 2, 5)];
    const observe = () => {
      for (const answer of answers) {
        const key = answer.key();
        if (key === undefined) continue;
        const built = answer.build();
        const body = `${built.status} ${cachedBody(built.body, answer.splice?.property)}`;
        const byKey = seen.get(answer.operationId) ?? new Map<string, string>();
        seen.set(answer.operationId, byKey);
        const earlier = byKey.get(String(key));
        if (earlier !== undefined) expect({ operation: answer.operationId, key, body }).toEqual({ operation: answer.operationId, key, body: earlier });
        byKey.set(String(key), body);
        keysOf.set(answer.operationId, [...(keysOf.get(answer.operationId) ?? []), key]);
      }
    };
    observe();
    for (const step of steps) {
      app.deps.engine.adopt('cache', step);
      observe();
    }
    // Every answer was looked at after each step.
    expect([...keysOf.values()].every((keys) => keys.length === steps.length + 1)).toBe(true);
    // /health shows statuses only: a result that moves latencies alone keeps its key (no rebuild),
    // a change of status moves it.
    const health = keysOf.get('getHealth') as unknown[];
    expect(health[2]).toBe(health[1]);
    expect(health[3]).not.toBe(health[2]);
    expect(health[4]).toBe(health[3]);
    expect(health[5]).not.toBe(health[4]);
  });
});
