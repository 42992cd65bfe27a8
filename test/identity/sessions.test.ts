import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityService, hashSessionId, SESSION_COOKIE, setUserDisabled } from '../../src/identity/index.ts';
import { createUser } from '../../src/identity/users.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLogger } from '../store/backends.ts';
import { testSource as sourceDefinition } from '../support/app.ts';
import { startRedis } from '../support/processes.ts';
import { authConfig, capturedLogger, carrier, CHEAP_SCRYPT, fakeClock, HOUR, MINUTE } from './fixtures.ts';

const REDIS_URL = process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `vigil-test-${randomBytes(4).toString('hex')}:`;
let store: Store;
let inspector: Redis;

beforeAll(async () => {
  store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
  await createUser(store, { username: 'ada', password: 'ada-password', role: 'admin', scrypt: CHEAP_SCRYPT });
  await createUser(store, { username: 'vic', password: 'vic-password', role: 'viewer', scrypt: CHEAP_SCRYPT });
  inspector = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  if (inspector) {
    const keys = await inspector.keys(`${prefix}*`);
    if (keys.length > 0) await inspector.del(...keys);
    inspector.disconnect();
  }
  await store?.close();
});

const BACKENDS = ['store', 'redis'] as const;

function service(backend: (typeof BACKENDS)[number], options: { ttlMs?: number; idleTimeoutMs?: number } = {}) {
  const clock = fakeClock();
  const logs = capturedLogger();
  const identity = createIdentityService({
    store,
    auth: authConfig({
      session: {
        ttlMs: options.ttlMs ?? 8 * HOUR,
        idleTimeoutMs: options.idleTimeoutMs ?? 30 * MINUTE,
        redisSource: backend === 'redis' ? 'cache' : undefined,
      },
    }),
    sources: [sourceDefinition({ name: 'cache', kind: 'redis', options: { url: REDIS_URL } })],
    logger: logs.logger,
    now: clock,
    redisKeyPrefix: prefix,
    announceBootstrap: false,
  });
  const withCookie = (sessionId: string) =>
    identity.authenticate(carrier({ cookies: { [SESSION_COOKIE]: sessionId } }), ['sessionCookie']);
  return { identity, clock, logs, withCookie };
}

describe.each(BACKENDS)('sessions in the %s', (backend) => {
  it('start at login and authenticate the psession cookie with the user role', async () => {
    const { identity, withCookie } = service(backend);
    const login = await identity.login('ada', 'ada-password', '127.0.0.1');
    expect(login?.role).toBe('admin');
    expect(login?.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const outcome = await withCookie(login!.sessionId);
    expect(outcome).toMatchObject({ ok: true, principal: { role: 'admin', via: 'sessionCookie', scopes: ['*'] } });
    // The principal carries the session's handle (its hash), never the secret id.
    expect(outcome.ok && outcome.principal.sessionId).toBe(hashSessionId(login!.sessionId));
    expect(await identity.sessionActive(login!.sessionId)).toBe(true);
    await identity.close();
  });

  it('are kept under the hash of their id only', async () => {
    const { identity } = service(backend);
    const { sessionId } = (await identity.login('vic', 'vic-password', '127.0.0.1'))!;
    const hash = hashSessionId(sessionId);
    if (backend === 'store') {
      expect(await store.query('SELECT id FROM sessions WHERE id = $1', [hash])).toHaveLength(1);
      expect(await store.query('SELECT id FROM sessions WHERE id = $1', [sessionId])).toHaveLength(0);
    } else {
      expect(await inspector.exists(`${prefix}session:${hash}`)).toBe(1);
      expect(await inspector.keys(`*${sessionId}*`)).toEqual([]);
      const ttl = await inspector.pttl(`${prefix}session:${hash}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30 * MINUTE);
    }
    await identity.close();
  });

  it('end at their absolute expiry even when used all along', async () => {
    const { identity, clock, withCookie } = service(backend, { ttlMs: HOUR, idleTimeoutMs: 30 * MINUTE });
    const { sessionId, expiresAt } = (await identity.login('ada', 'ada-password', '127.0.0.1'))!;
    expect(expiresAt.getTime()).toBe(clock() + HOUR);
    for (let step = 0; step < 3; step += 1) {
      clock.advance(20 * MINUTE - 1);
      expect((await withCookie(sessionId)).ok).toBe(true);
    }
    clock.advance(10);
    expect(await withCookie(sessionId)).toEqual({ ok: false, reason: 'invalid' });
    expect(await identity.sessionActive(sessionId)).toBe(false);
    await identity.close();
  });

  it('end after the idle timeout without use, and use pushes that moment back', async () => {
    const { identity, clock, withCookie } = service(backend, { ttlMs: 8 * HOUR, idleTimeoutMs: 10 * MINUTE });
    const { sessionId } = (await identity.login('ada', 'ada-password', '127.0.0.1'))!;
    clock.advance(9 * MINUTE);
    expect((await withCookie(sessionId)).ok).toBe(true);
    clock.advance(9 * MINUTE);
    expect((await withCookie(sessionId)).ok).toBe(true);
    clock.advance(10 * MINUTE);
    expect(await withCookie(sessionId)).toEqual({ ok: false, reason: 'invalid' });
    await identity.close();
  });

  it('end at logout', async () => {
    const { identity, withCookie } = service(backend);
    const { sessionId } = (await identity.login('ada', 'ada-password', '127.0.0.1'))!;
    await identity.logout(sessionId);
    expect(await withCookie(sessionId)).toEqual({ ok: false, reason: 'invalid' });
    expect(await identity.sessionActive(sessionId)).toBe(false);
    await identity.logout(sessionId); // twice is harmless
    await identity.logout('not-a-session');
    await identity.close();
  });

  it('stop working while their user is disabled', async () => {
    const { identity, withCookie } = service(backend);
    await createUser(store, { username: `tmp-${backend}`, password: 'tmp-password', role: 'operator', scrypt: CHEAP_SCRYPT });
    const { sessionId } = (await identity.login(`tmp-${backend}`, 'tmp-password', '127.0.0.1'))!;
    await setUserDisabled(store, `tmp-${backend}`, true);
    expect((await withCookie(sessionId)).ok).toBe(false);
    expect(await identity.login(`tmp-${backend}`, 'tmp-password', '127.0.0.1')).toBeNull();
    await identity.close();
  });

  it('end for good when their user is disabled: re-enabling revives none of them (11.9)', async () => {
    const { identity, withCookie } = service(backend);
    const username = `back-${backend}`;
    await createUser(store, { username, password: 'back-password', role: 'operator', scrypt: CHEAP_SCRYPT });
    const { sessionId: old } = (await identity.login(username, 'back-password', '127.0.0.1'))!;
    expect((await withCookie(old)).ok).toBe(true);
    expect(await setUserDisabled(store, username, true)).toBe(true);
    expect(await setUserDisabled(store, username, false)).toBe(true);
    expect(await withCookie(old)).toEqual({ ok: false, reason: 'invalid' });
    expect(await identity.sessionActive(old)).toBe(false);
    // A login after re-enabling starts a session that works, and disabling through the service ends it.
    const { sessionId: fresh } = (await identity.login(username, 'back-password', '127.0.0.1'))!;
    expect((await withCookie(fresh)).ok).toBe(true);
    expect(await identity.setUserDisabled(username, true)).toBe(true);
    expect(await identity.setUserDisabled(username, false)).toBe(true);
    expect(await withCookie(fresh)).toEqual({ ok: false, reason: 'invalid' });
    expect(await withCookie(old)).toEqual({ ok: false, reason: 'invalid' });
    await identity.close();
  });

  it('are refused for a wrong password and an unknown user alike', async () => {
    const { identity, logs } = service(backend);
    expect(await identity.login('ada', 'wrong-password', '127.0.0.1')).toBeNull();
    expect(await identity.login('nobody', 'ada-password', '127.0.0.1')).toBeNull();
    expect(logs.text()).not.toContain('wrong-password');
    expect(logs.text()).not.toContain('ada-password');
    await identity.close();
  });

  it('accept 000 body SessionID and refuse forged or foreign ids', async () => {
    const { identity } = service(backend);
    const { sessionId } = (await identity.login('ada', 'ada-password', '127.0.0.1'))!;
    const body = await identity.authenticate(carrier({ body: { SessionID: sessionId } }), ['sessionCookie']);
    expect(body.ok).toBe(true);
    const forged = randomBytes(32).toString('base64url');
    expect(await identity.authenticate(carrier({ cookies: { psession: forged } }), ['sessionCookie'])).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await identity.sessionActive('short')).toBe(false);
    await identity.close();
  });
});

describe('sessions in Redis', () => {
  it('refuse to start when the named source is not a redis source', () => {
    expect(() =>
      createIdentityService({
        store,
        auth: authConfig({ session: { ttlMs: HOUR, idleTimeoutMs: MINUTE, redisSource: 'db' } }),
        sources: [sourceDefinition({ name: 'db', kind: 'postgres' })],
        logger: silentLogger,
        announceBootstrap: false,
      }),
    ).toThrow('source "db" is a postgres source, not redis');
  });

  it('read the redis source the way its health check does: a url plus a password option from a secret', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const server = await startRedis({ password });
    try {
      const identity = createIdentityService({
        store,
        auth: authConfig({ session: { ttlMs: HOUR, idleTimeoutMs: MINUTE, redisSource: 'guarded' } }),
        sources: [sourceDefinition({ name: 'guarded', kind: 'redis', options: { url: `redis://127.0.0.1:${server.port}`, password } })],
        logger: silentLogger,
        redisKeyPrefix: prefix,
        announceBootstrap: false,
      });
      const login = await identity.login('ada', 'ada-password', '127.0.0.1');
      expect(login).not.toBeNull();
      expect(await identity.sessionActive(login!.sessionId)).toBe(true);
      const direct = new Redis({ host: '127.0.0.1', port: server.port, password, lazyConnect: true });
      expect(await direct.exists(`${prefix}session:${hashSessionId(login!.sessionId)}`)).toBe(1);
      direct.disconnect();
      await identity.close();
    } finally {
      await server.stop();
    }
  });

  it('make authentication fail as unavailable, not as a wrong credential, when Redis is down', async () => {
    const logs = capturedLogger();
    const identity = createIdentityService({
      store,
      auth: authConfig({ session: { ttlMs: HOUR, idleTimeoutMs: MINUTE, redisSource: 'dead' } }),
      sources: [sourceDefinition({ name: 'dead', kind: 'redis', options: { url: 'redis://:hunter2pass@127.0.0.1:1', connectTimeoutMs: 300 } })],
      logger: logs.logger,
      announceBootstrap: false,
    });
    const sessionId = randomBytes(32).toString('base64url');
    await expect(identity.authenticate(carrier({ cookies: { psession: sessionId } }), ['sessionCookie'])).rejects.toThrow(
      'authentication is unavailable',
    );
    await identity.close();
    expect(logs.text()).not.toContain('hunter2pass');
    expect(logs.text()).not.toContain(sessionId);
  });
});
