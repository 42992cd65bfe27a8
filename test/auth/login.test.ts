import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, logout } from '../../generated/sdk.gen.ts';
import { createUser, SESSION_COOKIE } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHEAP_SCRYPT, HOUR } from '../identity/fixtures.ts';

const PASSWORD = 'login-test-password';
let app: TestApp;

function sessionCookie(response: Response): { value: string; attributes: string[] } | undefined {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
  if (!line) return undefined;
  const [pair = '', ...attributes] = line.split(/;\s*/);
  return { value: decodeURIComponent(pair.slice(SESSION_COOKIE.length + 1)), attributes };
}

/** Does the app's middleware stack include this Express body parser (jsonParser, urlencodedParser)? */
function appUses(parser: string): boolean {
  const stack = (app.app as unknown as { router?: { stack?: { name?: string }[] } }).router?.stack ?? [];
  return stack.some((layer) => layer.name === parser);
}

beforeAll(async () => {
  app = await startTestApp({ config: { auth: { session: { ttlMs: 2 * HOUR, idleTimeoutMs: HOUR, redisSource: undefined } } } });
  await createUser(app.deps.store, { username: 'ada', password: PASSWORD, role: 'admin', scrypt: CHEAP_SCRYPT });
});
afterAll(async () => {
  await app?.close();
});

describe('POST /v1/auth/login', () => {
  it('starts a session and sets it as an HttpOnly, SameSite=Lax psession cookie for the session lifetime', async () => {
    const { response, data } = await login({ client: app.client, body: { username: 'ada', password: PASSWORD } });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ username: 'ada', role: 'admin' });
    expect(Date.parse(data!.expires_at) - Date.now()).toBeGreaterThan(2 * HOUR - 60_000);
    const cookie = sessionCookie(response);
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie?.attributes).toEqual(expect.arrayContaining(['Max-Age=7200', 'Path=/', 'HttpOnly', 'SameSite=Lax']));
    expect(cookie?.attributes).not.toContain('Secure');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(JSON.stringify(data)).not.toContain(cookie!.value);
    expect(await app.deps.identity.sessionActive(cookie!.value)).toBe(true);
  });

  it('answers a wrong password and an unknown user with the same 401 body', async () => {
    const wrong = await login({ client: app.client, body: { username: 'ada', password: 'not-the-password' } });
    const unknown = await login({ client: app.client, body: { username: 'nobody', password: PASSWORD } });
    expect(wrong.response.status).toBe(401);
    expect(unknown.response.status).toBe(401);
    expect(wrong.error).toEqual(unknown.error);
    expect(wrong.error).toEqual({ detail: expect.any(String) });
    expect(sessionCookie(wrong.response)).toBeUndefined();
  });

  it('refuses a body without a password with 400 in the auth error shape', async () => {
    const { response, error } = await login({ client: app.client, body: { username: 'ada' } as never });
    expect(response.status).toBe(400);
    expect(error).toEqual({ detail: expect.stringContaining('password') });
  });

  // Needs express.urlencoded() in src/app.ts (platform); runs as soon as the app parses forms.
  it('accepts an HTML form body', async (ctx) => {
    expect(appUses('jsonParser')).toBe(true); // the probe itself works
    if (!appUses('urlencodedParser')) ctx.skip();
    const response = await fetch(`${app.baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'ada', password: PASSWORD }).toString(),
    });
    expect(response.status).toBe(200);
    expect(sessionCookie(response)?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never logs the password or the session id', async () => {
    const { response } = await login({ client: app.client, body: { username: 'ada', password: PASSWORD } });
    await login({ client: app.client, body: { username: 'ada', password: 'another-wrong-one' } });
    const cookie = sessionCookie(response)!;
    const logs = app.logs().join('\n');
    expect(logs).toContain('/v1/auth/login');
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain('another-wrong-one');
    expect(logs).not.toContain(cookie.value);
  });
});

describe('POST /v1/auth/logout', () => {
  it('ends the session and clears the cookie', async () => {
    const { response } = await login({ client: app.client, body: { username: 'ada', password: PASSWORD } });
    const { value } = sessionCookie(response)!;
    const out = await logout({ client: app.client, headers: { cookie: `${SESSION_COOKIE}=${value}` } });
    expect(out.response.status).toBe(204);
    const cleared = sessionCookie(out.response);
    expect(cleared?.value).toBe('');
    expect(cleared?.attributes).toEqual(expect.arrayContaining(['Path=/', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'HttpOnly']));
    expect(await app.deps.identity.sessionActive(value)).toBe(false);
  });

  it('answers 204 without a cookie or with one that is no longer valid', async () => {
    expect((await logout({ client: app.client })).response.status).toBe(204);
    const stale = await logout({ client: app.client, headers: { cookie: `${SESSION_COOKIE}=${'x'.repeat(43)}` } });
    expect(stale.response.status).toBe(204);
  });
});

describe('login behind a trusted TLS proxy', () => {
  it('marks the cookie Secure when the proxy says the request came over HTTPS', async () => {
    const proxied = await startTestApp({ config: { server: { trustProxy: true } } });
    try {
      await createUser(proxied.deps.store, { username: 'tls', password: PASSWORD, role: 'viewer', scrypt: CHEAP_SCRYPT });
      const { response } = await login({
        client: proxied.client,
        body: { username: 'tls', password: PASSWORD },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(response.status).toBe(200);
      expect(sessionCookie(response)?.attributes).toContain('Secure');
    } finally {
      await proxied.close();
    }
  });
});

describe('login throttling', () => {
  it('answers 429 with Retry-After once a client has failed too often', async () => {
    const strict = await startTestApp({ config: { auth: { throttle: { maxFailures: 2, windowMs: 60_000 } } } });
    try {
      await createUser(strict.deps.store, { username: 'slow', password: PASSWORD, role: 'viewer', scrypt: CHEAP_SCRYPT });
      for (let i = 0; i < 2; i += 1) {
        expect((await login({ client: strict.client, body: { username: 'slow', password: 'wrong-guess' } })).response.status).toBe(401);
      }
      const { response, error } = await login({ client: strict.client, body: { username: 'slow', password: PASSWORD } });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(error).toEqual({ detail: expect.any(String) });
    } finally {
      await strict.close();
    }
  });
});
