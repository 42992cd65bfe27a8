// auth.credential_reuse: an API key the store verified lately is accepted again without a store
// read, but only while the process hears every revocation (identity.revocationFeed(true), set
// by the LISTEN connection on a PostgreSQL store). A revocation through this process or heard
// from another ends the reuse at once; so does losing the feed. Store reads are counted on the
// real (embedded) store through a wrapper of Vigil's own Store interface.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createIdentityService, createUser } from '../../src/identity/index.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLogger } from '../store/backends.ts';
import { authConfig, carrier, CHEAP_SCRYPT, fakeClock } from './fixtures.ts';

const HASURA_SECRET = 'hasura-admin-secret-for-tests';
const REUSE_MS = 2_000;

let store: Store;
let counted: Store;
let reads = 0;
/** Writes of a session's last use. */
let touches = 0;

beforeAll(async () => {
  store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
  // The same store, counting the reads made through it.
  counted = Object.assign(Object.create(store) as Store, {
    query: ((...args: Parameters<Store['query']>) => {
      reads += 1;
      if (String(args[0]).startsWith('UPDATE sessions SET last_seen_at')) touches += 1;
      return store.query(...args);
    }) as Store['query'],
  });
});
afterAll(async () => {
  await store?.close();
});

function service(reuseMs = REUSE_MS, maxFailures = 1000, idleTimeoutMs = 30 * 60_000) {
  const clock = fakeClock();
  const identity = createIdentityService({
    store: counted,
    auth: authConfig({
      credentialReuseMs: reuseMs,
      hasuraAdminSecret: HASURA_SECRET,
      throttle: { maxFailures, maxAccountFailures: 1000, windowMs: 60_000 },
      session: { ttlMs: 8 * 3_600_000, idleTimeoutMs, redisSource: undefined },
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

  it('reuses a session verified within the window, and writes its use at most once per window', async () => {
    const { identity, clock } = service();
    identity.revocationFeed(true);
    const username = `reuse-${Date.now()}`;
    await createUser(store, { username, password: 'reuse-password', role: 'admin', scrypt: CHEAP_SCRYPT });
    const sessionId = (await identity.login(username, 'reuse-password', '127.0.0.1'))?.sessionId ?? '';
    const ask = () => identity.authenticate(carrier({ cookies: { psession: sessionId } }), ['sessionCookie']);
    const touchesBefore = touches;
    expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBeGreaterThan(0);
    clock.advance(REUSE_MS - 1);
    expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBe(0);
    // Just logged in: no use to write yet.
    expect(touches - touchesBefore).toBe(0);
    clock.advance(1);
    expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBeGreaterThan(0);
    expect(touches - touchesBefore).toBe(1);

    // Without the feed every request reads the session, but its use is still written once per window.
    identity.revocationFeed(false);
    for (let i = 0; i < 3; i += 1) expect(await readsFor(async () => expect((await ask()).ok).toBe(true))).toBeGreaterThan(0);
    expect(touches - touchesBefore).toBe(1);
    clock.advance(REUSE_MS);
    expect((await ask()).ok).toBe(true);
    expect(touches - touchesBefore).toBe(2);
    await identity.close();
  });

  it('shares one store read among requests that arrive while it is under way, and caches none that a revocation overtook', async () => {
    const { identity } = service();
    identity.revocationFeed(true);
    const { key, id } = await createApiKey(store, { name: `herd-${Date.now()}`, scopes: ['health:read'] });
    const withKey = carrier({ headers: { 'x-api-key': key } });
    const other = await createApiKey(store, { name: `herd-one-${Date.now()}`, scopes: ['health:read'] });
    const one = await readsFor(async () => expect((await identity.authenticate(carrier({ headers: { 'x-api-key': other.key } }), ['apiKey'])).ok).toBe(true));
    const herd = await readsFor(async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => identity.authenticate(withKey, ['apiKey'])));
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    });
    expect(herd).toBe(one);

    identity.revoked({ kind: 'apiKey', keyId: id });
    // A read under way when a revocation is heard answers its own request, but is not kept.
    const pending = identity.authenticate(withKey, ['apiKey']);
    identity.revoked({ kind: 'apiKey', keyId: id });
    expect((await pending).ok).toBe(true);
    expect(identity.reusable(withKey, ['apiKey'])).toBeUndefined();
    await identity.close();
  });

  it('keeps a session in use alive when the idle timeout is shorter than the reuse window', async () => {
    const { identity, clock } = service(REUSE_MS, 1000, 1_000);
    const username = `short-idle-${Date.now()}`;
    await createUser(store, { username, password: 'reuse-password', role: 'admin', scrypt: CHEAP_SCRYPT });
    const sessionId = (await identity.login(username, 'reuse-password', '127.0.0.1'))?.sessionId ?? '';
    const ask = () => identity.authenticate(carrier({ cookies: { psession: sessionId } }), ['sessionCookie']);
    for (let i = 0; i < 4; i += 1) {
      clock.advance(600);
      expect((await ask()).ok).toBe(true);
    }
    clock.advance(1_000);
    expect((await ask()).ok).toBe(false);
    await identity.close();
  });

  it('ends session reuse at once on logout and when the user is disabled', async () => {
    const { identity } = service();
    identity.revocationFeed(true);
    const sessions: string[] = [];
    for (const name of ['out', 'off']) {
      const username = `${name}-${Date.now()}`;
      await createUser(store, { username, password: 'reuse-password', role: 'admin', scrypt: CHEAP_SCRYPT });
      sessions.push((await identity.login(username, 'reuse-password', '127.0.0.1'))?.sessionId ?? '');
      if (name === 'off') sessions.push(username);
    }
    const [loggedOut, disabled, disabledUser] = sessions as [string, string, string];
    const ask = (sessionId: string) => identity.authenticate(carrier({ cookies: { psession: sessionId } }), ['sessionCookie']);
    for (const id of [loggedOut, disabled]) expect((await ask(id)).ok).toBe(true);
    for (const id of [loggedOut, disabled]) expect(identity.reusable(carrier({ cookies: { psession: id } }), ['sessionCookie'])).toBeDefined();
    await identity.logout(loggedOut);
    await identity.setUserDisabled(disabledUser, true);
    for (const id of [loggedOut, disabled]) {
      expect(identity.reusable(carrier({ cookies: { psession: id } }), ['sessionCookie'])).toBeUndefined();
      expect((await ask(id)).ok).toBe(false);
    }
    await identity.close();
  });

  it('peeks (reusable) only at the first credential, and only when verifying it would await nothing', async () => {
    const { identity } = service();
    const { key } = await createApiKey(store, { name: `peek-${Date.now()}`, scopes: ['health:read'] });
    const withKey = carrier({ headers: { 'x-api-key': key } });
    expect((await identity.authenticate(withKey, ['apiKey'])).ok).toBe(true);
    // Revocations not heard: the key is read from the store every time.
    expect(identity.reusable(withKey, ['apiKey'])).toBeUndefined();
    identity.revocationFeed(true);
    expect(identity.reusable(withKey, ['apiKey'])).toMatchObject({ via: 'apiKey', scopes: ['health:read'] });
    expect(identity.reusable(withKey, ['apiKey', 'bearerJwt'])).toBeDefined();
    // Not a kind the operation accepts: nothing to reuse.
    expect(identity.reusable(withKey, ['bearerJwt'])).toBeUndefined();
    // A wrong session presented first: authenticate would try it (and read the store) first.
    const both = carrier({ headers: { 'x-api-key': key }, cookies: { psession: 'A'.repeat(43) } });
    expect(identity.reusable(both, ['sessionCookie', 'apiKey'])).toBeUndefined();
    expect(identity.reusable(both, ['apiKey', 'sessionCookie'])).toBeDefined();

    const hasura = carrier({ headers: { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'admin' } });
    // Right, but the throttle has not cleared the address yet.
    expect(identity.reusable(hasura, ['hasuraAdminSecret'])).toBeUndefined();
    expect((await identity.authenticate(hasura, ['hasuraAdminSecret'])).ok).toBe(true);
    expect(identity.reusable(hasura, ['hasuraAdminSecret'])).toMatchObject({ via: 'hasuraAdminSecret', role: 'admin' });
    expect(identity.reusable({ ...hasura, ip: '10.0.0.9' }, ['hasuraAdminSecret'])).toBeUndefined();
    expect(identity.reusable(carrier({ headers: { 'x-hasura-admin-secret': 'wrong', 'x-hasura-role': 'admin' } }), ['hasuraAdminSecret'])).toBeUndefined();
    // A failure from the address ends it.
    expect((await identity.authenticate(carrier({ headers: { 'x-api-key': 'vgl_wrong' } }), ['apiKey'])).ok).toBe(false);
    expect(identity.reusable(hasura, ['hasuraAdminSecret'])).toBeUndefined();
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
