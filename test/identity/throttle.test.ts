// The failure throttle (11.7, issue 9): per client address and per account, in memory or in the
// PostgreSQL store shared by every replica (a private database on the shared server), and
// still counting (in memory) when that store hangs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrottle, throttleAccount, type Throttle } from '../../src/identity/throttle.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { silentLogger } from '../store/backends.ts';

const WINDOW_MS = 60_000;
const account = throttleAccount.user('ada');
const throttles: Throttle[] = [];

function throttle(input: Partial<Parameters<typeof createThrottle>[0]> = {}): Throttle {
  const made = createThrottle({ maxFailures: 3, maxAccountFailures: 5, windowMs: WINDOW_MS, ...input });
  throttles.push(made);
  return made;
}

afterAll(async () => {
  for (const made of throttles) await made.close();
});

describe('the failure throttle in memory', () => {
  it('refuses an address once it reaches max_failures within the window, and no other', async () => {
    const t = throttle();
    for (let i = 0; i < 2; i += 1) expect(await t.recordFailure({ ip: '10.0.0.1' })).toBe(0);
    expect(await t.blockedMs({ ip: '10.0.0.1' })).toBe(0);
    const blocked = await t.recordFailure({ ip: '10.0.0.1' });
    expect(blocked).toBeGreaterThan(WINDOW_MS - 5_000);
    expect(blocked).toBeLessThanOrEqual(WINDOW_MS);
    expect(await t.blockedMs({ ip: '10.0.0.1', account })).toBeGreaterThan(0);
    expect(await t.blockedMs({ ip: '10.0.0.2', account })).toBe(0);
  });

  it('refuses an account once failures from many addresses reach max_account_failures', async () => {
    const t = throttle();
    // Forty addresses, one guess each: no address is ever throttled, the account is after five.
    const after: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const keys = { ip: `10.1.0.${i}`, account };
      if ((await t.blockedMs(keys)) === 0) after.push(await t.recordFailure(keys));
    }
    expect(after).toHaveLength(5);
    expect(after.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(await t.blockedMs({ ip: '10.1.1.1', account })).toBeGreaterThan(0);
    expect(await t.blockedMs({ ip: '10.1.1.1' })).toBe(0);
    expect(await t.blockedMs({ ip: '10.1.1.1', account: throttleAccount.user('bob') })).toBe(0);
  });

  it('lets an address try again once its window is over', async () => {
    const t = throttle({ maxFailures: 1, windowMs: 300 });
    expect(await t.recordFailure({ ip: '10.2.0.1' })).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await t.blockedMs({ ip: '10.2.0.1' })).toBe(0);
  });
});

describe('the failure throttle on a PostgreSQL store', () => {
  let db: PrivateDatabase;
  let store: Store;
  let proxy: TcpProxy;

  beforeAll(async () => {
    db = await createPrivateDatabase('vigil_throttle');
    // Migrated like Vigil's store (vigil_auth_throttle).
    store = await createStore({ url: db.url, dataDir: '' }, silentLogger);
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(async () => {
    proxy?.flow();
    for (const made of throttles.splice(0)) await made.close();
    await proxy?.close();
    await store?.close();
    await db?.drop();
  });

  it('counts the failures of every replica towards one limit', async () => {
    const replicas = [0, 1, 2].map(() => throttle({ storeUrl: db.url }));
    const keys = { ip: '10.3.0.1', account };
    // Three failures, one per replica: each saw one, yet every replica refuses the address.
    for (const replica of replicas) await replica.recordFailure(keys);
    for (const replica of replicas) expect(await replica.blockedMs(keys)).toBeGreaterThan(WINDOW_MS - 10_000);
    const rows = await db.query<{ key: string; points: number }>('SELECT key, points FROM vigil_auth_throttle ORDER BY key');
    expect(rows).toEqual([
      { key: `account:${account}`, points: 3 },
      { key: 'ip:10.3.0.1', points: 3 },
    ]);
  });

  it('goes on counting in memory, within the store timeout, while the store hangs', async () => {
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const t = throttle({ storeUrl: url.toString(), storeTimeoutMs: 500, maxFailures: 2 });
    expect(await t.recordFailure({ ip: '10.4.0.1' })).toBe(0); // through the store
    proxy.stall();
    try {
      const started = performance.now();
      expect(await t.recordFailure({ ip: '10.4.0.2' })).toBe(0);
      expect(await t.recordFailure({ ip: '10.4.0.2' })).toBeGreaterThan(0);
      expect(await t.blockedMs({ ip: '10.4.0.2' })).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(3 * (500 + 1_000));
    } finally {
      proxy.flow();
    }
  });
});
