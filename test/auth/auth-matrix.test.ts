// The auth matrix: every protected operation of the bundled spec x every kind of caller gets
// the status the spec documents for it, through the generated client against the real app.
// Expectations are computed from the spec itself (security, x-vigil-min-role, x-vigil-scope,
// whether 401 is documented), so new operations are covered without editing this file.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.ts';
import { renderError } from '../../src/http/errors.ts';
import { problemFor } from '../../src/http/problem.ts';
import { documentsStatus, loadSpec, type OperationInfo } from '../../src/http/spec.ts';
import {
  createApiKey,
  createUser,
  hashSessionId,
  holdsScope,
  revokeApiKey,
  SESSION_COOKIE,
  signHs256Jwt,
} from '../../src/identity/index.ts';
import { roleAtLeast, type CredentialKind, type Role } from '../../src/identity/types.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHEAP_SCRYPT } from '../identity/fixtures.ts';

const JWT = { secret: `matrix-jwt-${randomBytes(16).toString('hex')}`, issuer: 'https://issuer.matrix', audience: 'vigil-matrix' };
const HASURA_SECRET = `matrix-hasura-${randomBytes(8).toString('hex')}`;
const PASSWORD = 'matrix-password';

/** A caller: the headers it sends, and (when valid for the operation) the role and scopes it holds. */
interface Caller {
  readonly headers: Record<string, string>;
  /** Undefined when the operation cannot accept this credential at all (missing or invalid). */
  readonly grants?: { readonly role: Role; readonly scopes: readonly string[] };
}

interface Credentials {
  readonly sessions: Record<'viewer' | 'admin' | 'expired', string>;
  /** `cliAdmin`: an admin key as `vigil keys create --admin` makes it (scope `system:admin` only). */
  readonly keys: Record<'viewer' | 'admin' | 'revoked' | 'cliAdmin', string>;
  readonly jwts: Record<'viewer' | 'admin' | 'badSignature' | 'expired', string>;
  /** The current one-time setup token, and one issued before it (replaced, so no longer valid). */
  readonly setupTokens: Record<'current' | 'earlier', string>;
}

const accepts = (op: OperationInfo, kind: CredentialKind) => op.security.mode !== 'public' && op.security.accepted.includes(kind);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookie = (value: string) => ({ cookie: `${SESSION_COOKIE}=${value}` });
const randomKey = () => `vgl_${'a'.repeat(12)}_${randomBytes(32).toString('hex')}`;

/** A key-like credential that verifies nowhere, placed where this operation looks for one. */
function keySlot(op: OperationInfo, key: string): Record<string, string> {
  if (accepts(op, 'setupToken')) return { 'x-vigil-setup-token': `vst_${key}` };
  if (accepts(op, 'apiKey')) return { 'x-api-key': key };
  if (accepts(op, 'adminApiKey') || accepts(op, 'bearerJwt')) return bearer(key);
  if (accepts(op, 'hasuraAdminSecret')) return { 'x-hasura-admin-secret': key, 'x-hasura-role': 'admin' };
  return cookie(randomBytes(32).toString('base64url'));
}

/** The strongest-fitting credential of `role` for this operation, preferring sessions. */
function roleCaller(op: OperationInfo, role: 'viewer' | 'admin', c: Credentials): Caller {
  const all = { role, scopes: ['*'] } as const;
  if (accepts(op, 'sessionCookie')) return { headers: cookie(c.sessions[role]), grants: all };
  if (accepts(op, 'apiKey')) return { headers: { 'x-api-key': c.keys[role] }, grants: all };
  if (accepts(op, 'bearerJwt')) return { headers: bearer(c.jwts[role]), grants: all };
  if (accepts(op, 'adminApiKey')) {
    // Only admin keys are admin API keys: a viewer's key there is simply not a valid credential.
    return role === 'admin' ? { headers: bearer(c.keys.admin), grants: { role, scopes: ['*', 'system:admin'] } } : { headers: bearer(c.keys.viewer) };
  }
  return { headers: { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': role === 'admin' ? 'admin' : 'user' }, grants: all };
}

const CALLERS: readonly (readonly [string, (op: OperationInfo, c: Credentials) => Caller])[] = [
  ['no credential', () => ({ headers: {} })],
  ['a wrong key', (op) => ({ headers: keySlot(op, randomKey()) })],
  ['a revoked key', (op, c) => ({ headers: keySlot(op, c.keys.revoked) })],
  ['an expired session', (_op, c) => ({ headers: cookie(c.sessions.expired) })],
  ['a viewer', (op, c) => roleCaller(op, 'viewer', c)],
  ['an admin', (op, c) => roleCaller(op, 'admin', c)],
  ['a JWT with a bad signature', (_op, c) => ({ headers: bearer(c.jwts.badSignature) })],
  ['an expired JWT', (_op, c) => ({ headers: bearer(c.jwts.expired) })],
  // Hasura treats a correct admin secret without X-Hasura-Role as role admin (11.6).
  [
    'the Hasura admin secret without a role',
    (op) => ({ headers: { 'x-hasura-admin-secret': HASURA_SECRET }, grants: accepts(op, 'hasuraAdminSecret') ? { role: 'admin', scopes: ['*'] } : undefined }),
  ],
  // An admin API key reads whatever a viewer reads (11.12): it holds every read scope, in
  // X-API-Key where API keys are accepted and as Bearer where admin keys are.
  [
    'an admin API key in X-API-Key',
    (op, c) => ({ headers: { 'x-api-key': c.keys.cliAdmin }, grants: accepts(op, 'apiKey') ? { role: 'admin', scopes: ['system:admin'] } : undefined }),
  ],
  [
    'an admin API key as Bearer',
    (op, c) => ({ headers: bearer(c.keys.cliAdmin), grants: accepts(op, 'adminApiKey') ? { role: 'admin', scopes: ['system:admin'] } : undefined }),
  ],
  ['a valid JWT', (op, c) => ({ headers: bearer(c.jwts.admin), grants: accepts(op, 'bearerJwt') ? { role: 'admin', scopes: ['*'] } : undefined })],
  // The first admin's setup token opens its one operation and nothing else (no role, no scope).
  [
    'the setup token',
    (op, c) => ({ headers: { 'x-vigil-setup-token': c.setupTokens.current }, grants: accepts(op, 'setupToken') ? { role: 'viewer', scopes: [] } : undefined }),
  ],
  ['a replaced setup token', (_op, c) => ({ headers: { 'x-vigil-setup-token': c.setupTokens.earlier } })],
];

type Expectation = 'allowed' | 401 | 403;

/** What the spec documents for this caller on this operation. */
function expected(op: OperationInfo, caller: Caller): Expectation {
  // The platform answers 401 only where the operation documents it (000 documents 403 alone).
  const unauthenticated = op.statuses.includes('401') ? 401 : 403;
  if (caller.grants === undefined) {
    const presented = Object.keys(caller.headers).length > 0;
    if (!presented && op.security.mode === 'optional') return 'allowed';
    return unauthenticated;
  }
  const { role, scopes } = caller.grants;
  if (op.minRole && !roleAtLeast(role, op.minRole)) return 403;
  if (op.scope && !holdsScope({ role, scopes }, op.scope)) return 403;
  return 'allowed';
}

/** Headers that name no credential the operation reads count as no credential at all. */
function effectiveCaller(op: OperationInfo, caller: Caller): Caller {
  const h = caller.headers;
  const read =
    (accepts(op, 'apiKey') && 'x-api-key' in h) ||
    ((accepts(op, 'adminApiKey') || accepts(op, 'bearerJwt')) && 'authorization' in h) ||
    (accepts(op, 'sessionCookie') && 'cookie' in h) ||
    (accepts(op, 'hasuraAdminSecret') && 'x-hasura-admin-secret' in h) ||
    (accepts(op, 'setupToken') && 'x-vigil-setup-token' in h);
  return read ? caller : { headers: {}, grants: undefined };
}

const protectedOps = (await loadSpec()).operations.filter((op) => op.security.mode !== 'public');
let app: TestApp;
let credentials: Credentials;

beforeAll(async () => {
  app = await startTestApp({
    config: {
      auth: {
        jwt: { secret: JWT.secret, jwksUrl: undefined, issuer: JWT.issuer, audience: JWT.audience, roleClaim: 'role' },
        hasuraAdminSecret: HASURA_SECRET,
      },
    },
  });
  const { store, identity } = app.deps;
  await createUser(store, { username: 'matrix-viewer', password: PASSWORD, role: 'viewer', scrypt: CHEAP_SCRYPT });
  await createUser(store, { username: 'matrix-admin', password: PASSWORD, role: 'admin', scrypt: CHEAP_SCRYPT });
  const session = async (username: string) => (await identity.login(username, PASSWORD, '127.0.0.1'))!.sessionId;
  const expired = await session('matrix-admin');
  await store.query(`UPDATE sessions SET expires_at = now() - interval '1 hour' WHERE id = $1`, [hashSessionId(expired)]);
  const revoked = await createApiKey(store, { name: 'matrix-revoked', admin: true, scopes: ['*'] });
  await revokeApiKey(store, revoked.id);
  const jwt = (role: Role, overrides: Partial<Parameters<typeof signHs256Jwt>[0]> = {}) =>
    signHs256Jwt({ secret: JWT.secret, issuer: JWT.issuer, audience: JWT.audience, role, claims: { sub: `matrix-${role}` }, ...overrides });
  const earlierSetupToken = identity.setupTokens.issue();
  credentials = {
    setupTokens: { earlier: earlierSetupToken, current: identity.setupTokens.issue() },
    sessions: { viewer: await session('matrix-viewer'), admin: await session('matrix-admin'), expired },
    keys: {
      viewer: (await createApiKey(store, { name: 'matrix-viewer', role: 'viewer', scopes: ['*'] })).key,
      admin: (await createApiKey(store, { name: 'matrix-admin', admin: true, scopes: ['*'] })).key,
      revoked: revoked.key,
      cliAdmin: (await createApiKey(store, { name: 'matrix-cli-admin', admin: true })).key,
    },
    jwts: {
      viewer: await jwt('viewer'),
      admin: await jwt('admin'),
      badSignature: await jwt('admin', { secret: `${JWT.secret}-forged` }),
      expired: await jwt('admin', { expiresInSeconds: -3600 }),
    },
  };
});

afterAll(async () => {
  await app?.close();
});

type SdkFunction = (options: { client: TestApp['client']; headers: Record<string, string> }) => Promise<{ response: Response; data?: unknown; error?: unknown }>;

describe('the auth matrix', () => {
  it('lets an admin API key read what a viewer reads: /health/detailed and /health/status (11.12)', async () => {
    for (const [path, headers] of [
      ['/health/detailed', { 'x-api-key': credentials.keys.cliAdmin }],
      ['/health/detailed', bearer(credentials.keys.cliAdmin)],
      ['/health/status', { 'x-api-key': credentials.keys.cliAdmin }],
    ] as const) {
      const response = await fetch(`${app.baseUrl}${path}`, { headers });
      await response.arrayBuffer();
      expect([401, 403], `${path} ${Object.keys(headers)[0]}`).not.toContain(response.status);
    }
  });

  it('finds protected operations in the spec, each with a generated client function', () => {
    expect(protectedOps.length).toBeGreaterThan(0);
    for (const op of protectedOps) expect(typeof (sdk as Record<string, unknown>)[op.operationId], op.operationId).toBe('function');
  });

  const cases = protectedOps.flatMap((op) => CALLERS.map(([label, make]) => [op.operationId, label, op, make] as const));

  it.each(cases)('%s with %s gets the documented status', async (operationId, _label, op, make) => {
    const caller = effectiveCaller(op, make(op, credentials));
    const want = expected(op, caller);
    const call = (sdk as unknown as Record<string, SdkFunction>)[operationId] as SdkFunction;
    const { response, data, error } = await call({ client: app.client, headers: caller.headers });
    const body = JSON.stringify(data ?? error ?? null);

    expect(documentsStatus(op, response.status), `${response.status} is documented for ${operationId}`).toBe(true);
    if (want === 'allowed') {
      expect([401, 403, 429, 500]).not.toContain(response.status);
    } else {
      expect(response.status).toBe(want);
      // The family's documented error shape, saying nothing about which part was wrong.
      const shape = renderError(op.family, problemFor(want));
      expect(Object.keys((error ?? {}) as object).sort()).toEqual(Object.keys(shape).sort());
      expect(body).not.toMatch(/revoked|expired|signature|unknown user/i);
    }
    for (const secret of Object.values(caller.headers)) expect(body).not.toContain(secret.replace(/^Bearer |^psession=/, ''));
  });
});
