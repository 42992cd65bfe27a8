// Spec-driven authentication: `security`, `x-vigil-min-role` and `x-vigil-scope` decide the
// answer before the handler runs; 401 only where the operation documents it, else 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiFamily } from '../../src/http/errors.ts';
import type { TestApp } from '../support/app.ts';
import { createFixtureIdentity, FIXTURE_CREDENTIALS as C, startFixtureApp, type FixtureIdentity } from './fixtures/fixture-app.ts';
import { expectErrorShape } from './shapes.ts';

let app: TestApp;
let identity: FixtureIdentity;

beforeAll(async () => {
  identity = createFixtureIdentity();
  app = await startFixtureApp({ identity });
});

afterAll(async () => {
  await app?.close();
});

type Headers = Record<string, string>;
const none: Headers = {};
const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const apiKey = (key: string): Headers => ({ 'x-api-key': key });
const session = (id: string): Headers => ({ cookie: `psession=${id}` });
const hasura = (role: string): Headers => ({ 'x-hasura-admin-secret': C.hasuraSecret, 'x-hasura-role': role });

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly family: ApiFamily;
}
const SYSTEM: Route = { method: 'POST', path: '/fixture/system', family: 'system' };
const STATUS: Route = { method: 'GET', path: '/fixture/status', family: 'status' };
const SOURCES: Route = { method: 'GET', path: '/fixture/sources', family: 'sources' };
const ADMIN: Route = { method: 'GET', path: '/fixture/admin', family: 'admin' };
const OPTIONAL: Route = { method: 'GET', path: '/fixture/optional', family: 'admin' };

async function call(route: Route, headers: Headers, body?: unknown) {
  const response = await fetch(`${app.baseUrl}${route.path}`, {
    method: route.method,
    headers: { ...headers, ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    body: route.method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe('authentication from the spec', () => {
  it.each<[string, Route, Headers, number, string | null]>([
    // 000-like: no 401 documented, so a missing or wrong admin key is 403.
    ['system without a credential', SYSTEM, none, 403, null],
    ['system with a wrong admin key', SYSTEM, bearer('nope'), 403, null],
    ['system with the admin key', SYSTEM, bearer(C.adminKey), 200, 'admin-key-user'],
    ['system with a scheme it does not accept', SYSTEM, apiKey(C.viewerKey), 403, null],
    // 003-like: 401 documented; the scope decides.
    ['status without a key', STATUS, none, 401, null],
    ['status with a wrong key', STATUS, apiKey('nope'), 401, null],
    ['status with a key lacking the scope', STATUS, apiKey(C.scopelessKey), 403, null],
    ['status with a key holding the scope', STATUS, apiKey(C.viewerKey), 200, 'viewer-key-user'],
    ['status with a key holding the scope by wildcard', STATUS, apiKey(C.adminKey), 200, 'admin-key-user'],
    // 004-like: Hasura secret with role, or a JWT.
    ['sources without a credential', SOURCES, none, 401, null],
    ['sources with the Hasura secret and role admin', SOURCES, hasura('admin'), 200, 'hasura-admin'],
    ['sources with the Hasura secret and another role', SOURCES, hasura('user'), 401, null],
    ['sources with an admin JWT', SOURCES, bearer(C.adminJwt), 200, 'jwt-user'],
    // 002-like: admin role required.
    ['admin without a session', ADMIN, none, 401, null],
    ['admin with a viewer session', ADMIN, session(C.viewerSession), 403, null],
    ['admin with an admin session', ADMIN, session(C.adminSession), 200, 'session-admin'],
    ['admin with an unknown session', ADMIN, session('stale'), 401, null],
    // security: [{}, {sessionCookie: []}]: anonymous allowed, a bad credential is not.
    ['optional without a credential', OPTIONAL, none, 200, null],
    ['optional with a session', OPTIONAL, session(C.viewerSession), 200, 'session-viewer'],
    ['optional with a bad session', OPTIONAL, session('stale'), 401, null],
  ])('%s answers %i', async (_title, route, headers, status, subject) => {
    const answer = await call(route, headers);
    expect(answer.status).toBe(status);
    if (status === 200) expect(answer.body).toEqual({ subject });
    else expectErrorShape(answer.body, route.family);
  });

  it('reads an admin key from the JSON body (000)', async () => {
    const answer = await call(SYSTEM, none, { AdminAPIKey: C.adminKey });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ subject: 'admin-key-user' });
  });

  it('answers a throttled client with 429 and Retry-After', async () => {
    const answer = await call(STATUS, apiKey(C.throttledKey));
    expect(answer.status).toBe(429);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expectErrorShape(answer.body, 'status');
  });

  it('asks identity for exactly the schemes the operation declares', async () => {
    identity.calls.length = 0;
    await call(SOURCES, none);
    await call(SYSTEM, none);
    expect(identity.calls.map((c) => [...c.accepted].sort())).toEqual([['bearerJwt', 'hasuraAdminSecret'], ['adminApiKey']]);
  });

  it('never authenticates public operations', async () => {
    identity.calls.length = 0;
    const response = await fetch(`${app.baseUrl}/fixture/ping`, { headers: bearer('whatever') });
    expect(response.status).toBe(200);
    expect(identity.calls).toEqual([]);
  });

  it('does not say which part of a credential was wrong', async () => {
    const wrong = await call(STATUS, apiKey('nope'));
    const missing = await call(STATUS, none);
    for (const answer of [wrong, missing]) {
      expect(JSON.stringify(answer.body)).not.toMatch(/revoked|expired|unknown key|not found|hash/i);
    }
  });
});
