// auth.credential_reuse: an API key the store verified lately is accepted again without a store
// read, but only while the process hears every revocation (identity.revocationFeed(true), set
// by the LISTEN connection on a PostgreSQL store). A revocation through this process or heard
// from another ends the reuse at once; so does losing the feed. Store reads are counted on the
// real (embedded) store through a wrapper of Vigil's own Store interface.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createIdentityService } from '../../src/identity/index.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLogger } from '../store/backends.ts';
import { authConfig, carrier, fakeClock } from './fixtures.ts';

const HASURA_SECRET = 'hasura-admin-secret-for-tests';
const REUSE_MS = 2_000;

let store: Store;
let counted: Store;
let reads = 0;

beforeAll(async () => {
  store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
  // The same store, counting the reads made through it.
  counted = Object.assign(Object.create(store) as Store, {
    query: ((...args: Parameters<Store['query']>) => {
      reads += 1;
      return store.query(...args);
    }) as Store['query'],
  });
});
afterAll(async () => {
  await store?.close();
});

function service(reuseMs = REUSE_MS, maxFailures = 1000) {
  const clock = fakeClock();
  const identity = createIdentityService({
    store: counted,
    auth: authConfig({
      credentialReuseMs: reuseMs,
      hasuraAdminSecret: HASURA_SECRET,
      throttle: { maxFailures, maxAccountFailures: 1000, windowMs: 60_000 },
    }),
    sources: [],
    logger: silentLogger,
    now: clock,
    announceBootstrap: false,
  });
  return { identity, clock };
}

async function readsFor(work: () => Promise<unknown>): Promise<number> {
  const before = reads;
  await work();
  return reads - before;
}

describe('auth.credential_reuse', () => {
  it('accepts a key verified within the window without a store read while revocations are heard', async () => {
    const { identity, clock } = service();
    identity.revocationFeed(true);
    const { key } = await createApiKey(store, { name: `reuse-${Date.now()}`, scopes: ['health:read'] });
    const ask = () => identity.authenticate(carrier({ headers: { 'x-api-key': key } }), ['apiKey']);
    expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBeGreaterThan(0);
    expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBe(0);
    clock.advance(REUSE_MS);
    expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBeGreaterThan(0);
    await identity.close();
  });

  it('reads the store on every request while revocations are not heard, or with reuse 0', async () => {
    for (const [feed, reuseMs] of [[false, REUSE_MS], [true, 0]] as const) {
      const { identity } = service(reuseMs);
      identity.revocationFeed(feed);
      const { key } = await createApiKey(store, { name: `no-reuse-${feed}-${reuseMs}`, scopes: ['health:read'] });
      const ask = () => identity.authenticate(carrier({ headers: { 'x-api-key': key } }), ['apiKey']);
      for (let i = 0; i < 3; i += 1) expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBeGreaterThan(0);
      await identity.close();
    }
  });

  it('ends at once for a key revoked through this process, one heard revoked elsewhere, and when the feed is lost', async () => {
    const { identity } = service();
    identity.revocationFeed(true);
    const here = await createApiKey(store, { name: `here-${Date.now()}`, scopes: ['health:read'] });
    const elsewhere = await createApiKey(store, { name: `elsewhere-${Date.now()}`, scopes: ['health:read'] });
    const kept = await createApiKey(store, { name: `kept-${Date.now()}`, scopes: ['health:read'] });
    const ask = (key: string) => identity.authenticate(carrier({ headers: { 'x-api-key': key } }), ['apiKey']);
    for (const k of [here, elsewhere, kept]) expect((await ask(k.key)).ok).toBe(true);

    expect(await identity.revokeApiKey(here.id)).toBe(true);
    expect((await ask(here.key)).ok).toBe(false);

    // Revoked by another process (the CLI, another replica): the store's NOTIFY is heard.
    await store.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [elsewhere.id]);
    identity.revoked({ kind: 'apiKey', keyId: elsewhere.id });
    expect((await ask(elsewhere.key)).ok).toBe(false);

    // The feed is lost: nothing is reused, every key is read again.
    identity.revocationFeed(false);
    expect(await readsFor(async () => expect((await ask(kept.key)).ok).toBe(true))).toBeGreaterThan(0);
    await identity.close();
  });

  it("stops reusing the throttle's answer for a right Hasura secret as soon as its address fails", async () => {
    const { identity } = service(REUSE_MS, 1);
    const hasura = (secret: string) =>
      identity.authenticate(carrier({ headers: { 'x-hasura-admin-secret': secret, 'x-hasura-role': 'admin' } }), ['hasuraAdminSecret']);
    expect((await hasura(HASURA_SECRET)).ok).toBe(true);
    expect(await hasura('wrong')).toMatchObject({ ok: false, reason: 'invalid' });
    // One failure throttles the address: the right secret is refused too, not let through on
    // the answer reused from before the failure.
    expect(await hasura(HASURA_SECRET)).toMatchObject({ ok: false, reason: 'throttled' });
    await identity.close();
  });
});
