import { JWT_DEFAULTS } from '../../src/shared/jwt-policy.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminExists,
  createApiKey,
  createIdentityService,
  createUser,
  FIRST_ADMIN_HINT,
  IdentityUnavailableError,
  LoginThrottledError,
  revokeApiKey,
  setUserDisabled,
  signHs256Jwt,
} from '../../src/identity/index.ts';
import type { CredentialKind } from '../../src/identity/types.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLogger } from '../store/backends.ts';
import { authConfig, capturedLogger, carrier, CHEAP_SCRYPT, fakeClock, MINUTE } from './fixtures.ts';

const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef';
const HASURA_SECRET = 'hasura-admin-secret-for-tests';
const ALL: readonly CredentialKind[] = ['adminApiKey', 'apiKey', 'bearerJwt', 'sessionCookie', 'hasuraAdminSecret'];

let store: Store;
let adminKey: string;
let viewerKey: string;
let revokedKey: string;
let revokedId: string;

beforeAll(async () => {
  store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
  adminKey = (await createApiKey(store, { name: 'ops', admin: true })).key;
  viewerKey = (await createApiKey(store, { name: 'ci', scopes: ['health:read'] })).key;
  const revoked = await createApiKey(store, { name: 'old', admin: true });
  revokedKey = revoked.key;
  revokedId = revoked.id;
  await revokeApiKey(store, revokedId);
  await createUser(store, { username: 'root', password: 'root-password', role: 'owner', scrypt: CHEAP_SCRYPT });
});
afterAll(async () => {
  await store?.close();
});

function service(options: { maxFailures?: number; maxAccountFailures?: number; windowMs?: number; hasura?: boolean } = {}) {
  const clock = fakeClock();
  const logs = capturedLogger();
  const identity = createIdentityService({
    store,
    auth: authConfig({
      jwt: { secret: JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined, roleClaim: 'role', ...JWT_DEFAULTS },
      hasuraAdminSecret: options.hasura === false ? undefined : HASURA_SECRET,
      throttle: { maxFailures: options.maxFailures ?? 1000, maxAccountFailures: options.maxAccountFailures ?? 1000, windowMs: options.windowMs ?? MINUTE },
    }),
    sources: [],
    logger: logs.logger,
    now: clock,
    announceBootstrap: false,
  });
  return { identity, clock, logs };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('authenticate', () => {
  it('answers missing when no accepted credential is presented, whatever else is', async () => {
    const { identity } = service();
    expect(await identity.authenticate(carrier(), ALL)).toEqual({ ok: false, reason: 'missing' });
    // An API key header on an operation that only takes sessions is not a credential there.
    expect(await identity.authenticate(carrier({ headers: { 'x-api-key': viewerKey } }), ['sessionCookie'])).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it.each([
    ['an admin key as Bearer', () => carrier(bearer(adminKey)), ['adminApiKey'], { role: 'admin', via: 'adminApiKey' }],
    ['an admin key in the body (AdminAPIKey)', () => carrier({ body: { AdminAPIKey: adminKey } }), ['adminApiKey'], { via: 'adminApiKey' }],
    ['a key as X-API-Key', () => carrier({ headers: { 'x-api-key': viewerKey } }), ['apiKey'], { role: 'viewer', scopes: ['health:read'] }],
    ['a key in the body (APIKey)', () => carrier({ body: { APIKey: viewerKey } }), ['apiKey'], { via: 'apiKey' }],
    ['an admin key as X-API-Key', () => carrier({ headers: { 'x-api-key': adminKey } }), ['apiKey'], { role: 'admin' }],
    ['the Hasura admin secret with role admin', () => carrier({ headers: { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'admin' } }), ['hasuraAdminSecret'], { subject: 'hasura-admin', role: 'admin' }],
  ] as const)('accepts %s', async (_label, make, accepted, expected) => {
    const { identity } = service();
    const outcome = await identity.authenticate(make(), accepted);
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.principal).toMatchObject(expected);
  });

  it('accepts a JWT as Bearer and tells it apart from an admin key by the vgl_ prefix', async () => {
    const { identity, clock } = service();
    const jwt = await signHs256Jwt({ secret: JWT_SECRET, role: 'operator', claims: { sub: 'svc' }, now: clock() });
    const both: CredentialKind[] = ['adminApiKey', 'bearerJwt'];
    expect(await identity.authenticate(carrier(bearer(jwt)), both)).toMatchObject({ ok: true, principal: { via: 'bearerJwt', role: 'operator', subject: 'jwt:svc' } });
    expect(await identity.authenticate(carrier(bearer(adminKey)), both)).toMatchObject({ ok: true, principal: { via: 'adminApiKey' } });
    // Each is refused where only the other is accepted.
    expect(await identity.authenticate(carrier(bearer(jwt)), ['adminApiKey'])).toEqual({ ok: false, reason: 'invalid' });
    expect(await identity.authenticate(carrier(bearer(adminKey)), ['bearerJwt'])).toEqual({ ok: false, reason: 'invalid' });
  });

  it.each([
    ['a wrong key', () => carrier(bearer(`${adminKey.slice(0, -4)}0000`)), ['adminApiKey']],
    ['a revoked admin key', () => carrier(bearer(revokedKey)), ['adminApiKey']],
    ['a key without the admin scope as admin key', () => carrier(bearer(viewerKey)), ['adminApiKey']],
    ['a revoked key as X-API-Key', () => carrier({ headers: { 'x-api-key': revokedKey } }), ['apiKey']],
    ['a garbage X-API-Key', () => carrier({ headers: { 'x-api-key': 'letmein' } }), ['apiKey']],
    ['a JWT with a bad signature', async () => carrier(bearer(await signHs256Jwt({ secret: 'not-the-secret-0123456789abcdef', role: 'owner' }))), ['bearerJwt']],
    ['an expired JWT', async () => carrier(bearer(await signHs256Jwt({ secret: JWT_SECRET, role: 'owner', expiresInSeconds: -600, now: Date.parse('2026-03-01T00:00:00Z') }))), ['bearerJwt']],
    ['a wrong Hasura secret', () => carrier({ headers: { 'x-hasura-admin-secret': 'guess', 'x-hasura-role': 'admin' } }), ['hasuraAdminSecret']],
    ['a malformed Authorization header', () => carrier({ headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), ['adminApiKey']],
  ] as const)('refuses %s as invalid, without saying why', async (_label, make, accepted) => {
    const { identity } = service();
    expect(await identity.authenticate(await make(), accepted)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('treats any Authorization header on a bearer operation as a presented credential', async () => {
    const { identity } = service();
    expect(await identity.authenticate(carrier({ headers: { authorization: 'Basic eA==' } }), ['bearerJwt'])).toEqual({ ok: false, reason: 'invalid' });
    expect(await identity.authenticate(carrier({ headers: { authorization: adminKey } }), ['adminApiKey'])).toEqual({ ok: false, reason: 'invalid' });
  });

  it('gives a valid Hasura secret with a non-admin role only viewer rights', async () => {
    const { identity } = service();
    const outcome = await identity.authenticate(carrier({ headers: { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'user' } }), ['hasuraAdminSecret']);
    expect(outcome).toMatchObject({ ok: true, principal: { role: 'viewer' } });
  });

  it('gives a valid Hasura secret without X-Hasura-Role the admin role, as Hasura does', async () => {
    const { identity } = service();
    const outcome = await identity.authenticate(carrier({ headers: { 'x-hasura-admin-secret': HASURA_SECRET } }), ['hasuraAdminSecret']);
    expect(outcome).toMatchObject({ ok: true, principal: { role: 'admin', subject: 'hasura-admin' } });
  });

  it('refuses the Hasura scheme entirely when no admin secret is configured', async () => {
    const { identity } = service({ hasura: false });
    expect(await identity.authenticate(carrier({ headers: { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'admin' } }), ['hasuraAdminSecret'])).toEqual({ ok: false, reason: 'invalid' });
  });

  it('accepts a request when any presented credential is valid, trying the accepted kinds in order', async () => {
    const { identity } = service();
    const stale = carrier({ cookies: { psession: 'x'.repeat(43) }, headers: { 'x-api-key': viewerKey } });
    expect(await identity.authenticate(stale, ['sessionCookie', 'apiKey'])).toMatchObject({ ok: true, principal: { via: 'apiKey' } });
  });

  it('throttles an address after too many failures, yet serves a valid API key from it (11.7)', async () => {
    const { identity } = service({ maxFailures: 3, windowMs: 500 });
    const wrong = carrier({ ip: '10.9.8.7', headers: { 'x-api-key': 'vgl_wrong' } });
    for (let i = 0; i < 3; i += 1) expect(await identity.authenticate(wrong, ['apiKey'])).toEqual({ ok: false, reason: 'invalid' });
    expect(await identity.authenticate(wrong, ['apiKey'])).toMatchObject({ ok: false, reason: 'throttled' });
    expect(await identity.retryAfterMs({ ip: '10.9.8.7' })).toBeGreaterThan(0);
    // One attacker behind a shared address does not blind the monitors there.
    const good = carrier({ ip: '10.9.8.7', headers: { 'x-api-key': viewerKey } });
    expect((await identity.authenticate(good, ['apiKey'])).ok).toBe(true);
    expect((await identity.authenticate(carrier({ ip: '10.9.8.7', ...bearer(adminKey) }), ['adminApiKey'])).ok).toBe(true);
    // The Hasura admin secret is chosen by a person: a right guess from a throttled address is refused.
    const hasura = carrier({ ip: '10.9.8.7', headers: { 'x-hasura-admin-secret': HASURA_SECRET } });
    expect(await identity.authenticate(hasura, ['hasuraAdminSecret'])).toMatchObject({ ok: false, reason: 'throttled' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await identity.authenticate(hasura, ['hasuraAdminSecret'])).ok).toBe(true);
    expect(await identity.authenticate(wrong, ['apiKey'])).toEqual({ ok: false, reason: 'invalid' });
  });

  it('throttles one API key id or the Hasura secret guessed from many addresses (11.7)', async () => {
    const { identity } = service({ maxAccountFailures: 4 });
    const id = viewerKey.split('_')[1] as string;
    const forged = `vgl_${id}_${'0'.repeat(64)}`;
    for (let i = 0; i < 4; i += 1) {
      expect(await identity.authenticate(carrier({ ip: `10.7.0.${i}`, headers: { 'x-api-key': forged } }), ['apiKey'])).toEqual({ ok: false, reason: 'invalid' });
      const guess = carrier({ ip: `10.7.1.${i}`, headers: { 'x-hasura-admin-secret': `guess-${i}` } });
      expect(await identity.authenticate(guess, ['hasuraAdminSecret'])).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await identity.authenticate(carrier({ ip: '10.7.2.1', headers: { 'x-api-key': forged } }), ['apiKey'])).toMatchObject({ reason: 'throttled' });
    // The key itself still works (it cannot be guessed), from anywhere; the right Hasura secret does not.
    expect((await identity.authenticate(carrier({ ip: '10.7.2.1', headers: { 'x-api-key': viewerKey } }), ['apiKey'])).ok).toBe(true);
    const right = carrier({ ip: '10.7.2.1', headers: { 'x-hasura-admin-secret': HASURA_SECRET } });
    expect(await identity.authenticate(right, ['hasuraAdminSecret'])).toMatchObject({ ok: false, reason: 'throttled' });
  });

  it('throttles logins after repeated wrong passwords', async () => {
    // A window long enough for the dummy scrypt of the unknown user on a loaded machine.
    const { identity } = service({ maxFailures: 2, windowMs: 3_000 });
    expect(await identity.login('root', 'nope-nope', '10.0.0.1')).toBeNull();
    expect(await identity.login('ghost', 'nope-nope', '10.0.0.1')).toBeNull();
    await expect(identity.login('root', 'root-password', '10.0.0.1')).rejects.toBeInstanceOf(LoginThrottledError);
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    expect(await identity.login('root', 'root-password', '10.0.0.1')).toMatchObject({ role: 'owner' });
  });

  it('throttles one account guessed from 40 addresses, even for the right password (11.7)', async () => {
    const { identity } = service({ maxAccountFailures: 10 });
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      outcomes.push(await identity.login('root', `guess-${i}-password`, `10.5.0.${i}`).then((r) => (r === null ? 'refused' : 'in'), (e: unknown) => (e instanceof LoginThrottledError ? 'throttled' : 'error')));
    }
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(10);
    expect(outcomes.slice(10).every((o) => o === 'throttled')).toBe(true);
    await expect(identity.login('root', 'root-password', '10.5.1.1')).rejects.toBeInstanceOf(LoginThrottledError);
    // Another account is not affected.
    expect(await identity.login('ghost', 'any-password', '10.5.1.1')).toBeNull();
  });

  it('says the store is unavailable (not that the credential is wrong) when it cannot check', async () => {
    const broken = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
    const { key } = await createApiKey(broken, { name: 'x' });
    const identity = createIdentityService({ store: broken, auth: authConfig(), sources: [], logger: silentLogger, announceBootstrap: false });
    await broken.close();
    const error = await identity.authenticate(carrier({ headers: { 'x-api-key': key } }), ['apiKey']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityUnavailableError);
    expect((error as Error).message).not.toContain(key);
  });

  it('never writes a presented or stored secret to its logs', async () => {
    const { identity, logs, clock } = service({ maxFailures: 1000 });
    const jwt = await signHs256Jwt({ secret: JWT_SECRET, role: 'admin', now: clock() });
    const login = await identity.login('root', 'root-password', '127.0.0.1');
    await identity.login('root', 'wrong-password-here', '127.0.0.1');
    for (const c of [
      carrier(bearer(adminKey)),
      carrier(bearer(revokedKey)),
      carrier(bearer(jwt)),
      carrier({ headers: { 'x-api-key': viewerKey } }),
      carrier({ cookies: { psession: login!.sessionId } }),
      carrier({ headers: { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'admin' } }),
      carrier({ headers: { 'x-hasura-admin-secret': 'wrong-hasura-guess' } }),
    ]) {
      await identity.authenticate(c, ALL);
    }
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [adminKey, revokedKey, viewerKey, jwt, login!.sessionId, HASURA_SECRET, 'wrong-hasura-guess', 'root-password', 'wrong-password-here', JWT_SECRET]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('the first admin', () => {
  it('does not exist in a new store, and the service says how to create one', async () => {
    const fresh = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
    const logs = capturedLogger();
    const identity = createIdentityService({ store: fresh, auth: authConfig(), sources: [], logger: logs.logger });
    expect(await identity.adminExists()).toBe(false);
    await expect.poll(() => logs.text()).toContain(FIRST_ADMIN_HINT.slice(0, 40));
    expect(FIRST_ADMIN_HINT).toContain('users add');

    await createUser(fresh, { username: 'viewer1', password: 'viewer-password', role: 'viewer', scrypt: CHEAP_SCRYPT });
    expect(await identity.adminExists()).toBe(false);
    await createUser(fresh, { username: 'boss', password: 'boss-password', role: 'admin', scrypt: CHEAP_SCRYPT });
    expect(await identity.adminExists()).toBe(true);
    await setUserDisabled(fresh, 'boss', true);
    expect(await adminExists(fresh)).toBe(false);
    await fresh.close();
  });
});
