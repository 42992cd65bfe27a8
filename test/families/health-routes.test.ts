import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/http/types.ts';
import { createMigrationStatusCache, healthHandlers } from '../../src/routes/health.ts';
import type { MigrationStatus } from '../../src/store/types.ts';
import { sourceDefinition } from '../support/source-states.ts';

function status(filename: string): MigrationStatus {
  return { table_exists: true, applied: [{ filename, applied_at: '2026-01-01T00:00:00.000Z' }], required: [] };
}

/** A store whose migrationStatus answers what the test says, when it says. */
function controlledStore() {
  const pending: { resolve: (value: MigrationStatus) => void; reject: (error: Error) => void }[] = [];
  let calls = 0;
  return {
    store: {
      migrationStatus: () => {
        calls += 1;
        return new Promise<MigrationStatus>((resolve, reject) => pending.push({ resolve, reject }));
      },
    },
    answer: (value: MigrationStatus) => pending.shift()?.resolve(value),
    fail: (error: Error) => pending.shift()?.reject(error),
    calls: () => calls,
  };
}

describe('the health handlers factory', () => {
  it('refuses a bad families.health section at start-up, naming the key', () => {
    const deps = {
      config: { families: { health: { resources: 'nope' } }, sources: [sourceDefinition('cache', 'redis')], invalidSources: [] },
    } as unknown as AppDeps;
    expect(() => healthHandlers(deps)).toThrow('families.health.resources: no source named "nope"');
  });

  it('counts sources the loader refused as configured (they report failed)', () => {
    const deps = {
      config: {
        families: { health: { services: ['broken'] } },
        sources: [],
        invalidSources: [{ definition: sourceDefinition('broken', 'redis'), reason: 'bad url' }],
      },
      startedAt: new Date(),
    } as unknown as AppDeps;
    expect(Object.keys(healthHandlers(deps)).sort()).toEqual(['getHealth', 'getHealthConsistency', 'getHealthDetailed', 'getSftpgoStats']);
  });
});

describe('the migration status cache', () => {
  it('shares one read between concurrent requests and reuses it within the TTL', async () => {
    let now = 0;
    const store = controlledStore();
    const get = createMigrationStatusCache({ store: store.store, now: () => now, ttlMs: 5_000, waitMs: 1_000 });
    const [a, b] = [get(), get()];
    store.answer(status('001.sql'));
    expect(await a).toEqual(status('001.sql'));
    expect(await b).toEqual(status('001.sql'));
    now = 4_999;
    expect(await get()).toEqual(status('001.sql'));
    expect(store.calls()).toBe(1);

    now = 5_000;
    const c = get();
    store.answer(status('002.sql'));
    expect(await c).toEqual(status('002.sql'));
    expect(store.calls()).toBe(2);
  });

  it('answers with the previous status when the store is slow, and undefined when it fails', async () => {
    let now = 0;
    const store = controlledStore();
    const errors: unknown[] = [];
    const get = createMigrationStatusCache({ store: store.store, now: () => now, ttlMs: 10, waitMs: 20, onError: (e) => errors.push(e) });
    const first = get();
    store.answer(status('001.sql'));
    await first;

    now = 100;
    // The store does not answer: the request gets the last known status after waitMs.
    expect(await get()).toEqual(status('001.sql'));
    store.fail(new Error('store down'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(errors).toHaveLength(1);

    now = 200;
    const next = get();
    store.fail(new Error('still down'));
    expect(await next).toBeUndefined();
  });
});
