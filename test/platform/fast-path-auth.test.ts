// The fast path's authenticated answers are the full stack's: one matrix of requests to the
// authenticated snapshot operations (right and wrong API keys, a key without the scope, revoked
// keys, the Hasura secret right and wrong and with another role, sessions valid, logged out and
// of a disabled user, a throttled address, extra query parameters and headers) goes through
// Vigil with the fast path on and off, over the same engine, store, identity service and clock,
// and every answer must match. The accepted cases must have been answered by the fast path.
import { Agent, createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestListener, type VigilListener } from '../../src/app.ts';
import { createApiKey, createUser, type IdentityServiceImpl } from '../../src/identity/index.ts';
import { startTestApp, type TestApp, type TestConfigInput } from '../support/app.ts';
import { listenOnLoopback, type Listening } from '../support/servers/listen.ts';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const HASURA_SECRET = 'fast-path-hasura-secret';
const PASSWORD = 'a long enough password';
const PATHS = ['/healthz/sources', '/health/status', '/health/detailed', '/health/consistency', '/v1/admin/health'];
/** Headers whose value must be equal; x-request-id is compared separately (random when not given). */
const COMPARED = ['content-type', 'content-length', 'etag', 'cache-control', 'allow', 'retry-after', 'vary', 'www-authenticate', 'connection', 'location', 'set-cookie'];

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function send(baseUrl: string, method: string, path: string, headers: Readonly<Record<string, string>>): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // `path` as given, byte for byte (a URL string would lose a bare `?`).
    const req = request({ hostname, port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Differences between two answers to the same request (empty: the same). */
function differences(label: string, a: Answer, b: Answer, given?: string): string[] {
  const found: string[] = [];
  if (a.status !== b.status) found.push(`${label}: status ${a.status} vs ${b.status}`);
  if (a.body !== b.body) found.push(`${label}: body ${JSON.stringify(a.body.slice(0, 160))} vs ${JSON.stringify(b.body.slice(0, 160))}`);
  for (const name of COMPARED) {
    if (String(a.headers[name]) !== String(b.headers[name])) found.push(`${label}: ${name} ${String(a.headers[name])} vs ${String(b.headers[name])}`);
  }
  const idOk = (id: unknown) => (given ? id === given : typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id));
  if (!idOk(a.headers['x-request-id']) || !idOk(b.headers['x-request-id'])) found.push(`${label}: x-request-id ${String(a.headers['x-request-id'])} vs ${String(b.headers['x-request-id'])}`);
  return found;
}

/** One app (engine, store, identity, clock) behind two listeners: the fast path on and off. */
interface Pair {
  readonly app: TestApp;
  readonly identity: IdentityServiceImpl;
  readonly fast: { readonly url: string; readonly vigil: VigilListener; readonly listening: Listening };
  readonly full: { readonly url: string; readonly listening: Listening };
  close(): Promise<void>;
}

async function startPair(config: TestConfigInput): Promise<Pair> {
  const app = await startTestApp({
    sources: [{ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', critical: true }],
    config: {
      ...config,
      families: { health: { services: ['cache'] }, admin: { cache: 'cache' }, status: { components: ['cache'] } },
      auth: { hasuraAdminSecret: HASURA_SECRET, ...config.auth },
    },
    now: () => NOW,
    startedAt: new Date(NOW - 3_723_456),
  });
  const identity = app.deps.identity as IdentityServiceImpl;
  // As on a PostgreSQL store whose LISTEN connection is up: verified keys and sessions are reused.
  identity.revocationFeed(true);
  const listen = async (fastPath: boolean) => {
    const vigil = await createRequestListener(app.deps, undefined, { fastPath });
    const listening = await listenOnLoopback(createServer(vigil.listener));
    return { vigil, listening, url: `http://127.0.0.1:${listening.port}` };
  };
  const fast = await listen(true);
  const full = await listen(false);
  return {
    app,
    identity,
    fast,
    full,
    async close() {
      await fast.listening.close();
      await full.listening.close();
      await app.close();
    },
  };
}

/** Sends one request to the fast listener: the answer, and whether the fast path gave it. */
async function viaFast(pair: Pair, method: string, path: string, headers: Readonly<Record<string, string>>): Promise<{ answer: Answer; fast: boolean }> {
  const before = pair.fast.vigil.fastPath?.answered() ?? 0;
  const answer = await send(pair.fast.url, method, path, headers);
  return { answer, fast: (pair.fast.vigil.fastPath?.answered() ?? 0) > before };
}

let pair: Pair;
/** Credential name -> the headers that carry it. */
const credentials: Record<string, Record<string, string>> = {};

async function login(username: string): Promise<string> {
  const result = await pair.identity.login(username, PASSWORD, '127.0.0.1');
  if (!result) throw new Error(`login of ${username} failed`);
  return result.sessionId;
}

beforeAll(async () => {
  pair = await startPair({ auth: { throttle: { maxFailures: 1_000_000, maxAccountFailures: 1_000_000 } } });
  const { store } = pair.app.deps;
  const key = async (name: string, input: Omit<Parameters<typeof createApiKey>[1], 'name'>) => (await createApiKey(store, { ...input, name })).key;
  credentials['status key'] = { 'x-api-key': await key('status', { scopes: ['status:read'] }) };
  credentials['health key'] = { 'x-api-key': await key('health', { scopes: ['health:*'] }) };
  credentials['history-only key'] = { 'x-api-key': await key('history', { scopes: ['history:read'] }) };
  const admin = await key('admin', { admin: true });
  credentials['admin key'] = { 'x-api-key': admin };
  credentials['admin key as bearer'] = { authorization: `Bearer ${admin}` };
  credentials['unknown key'] = { 'x-api-key': `vgl_abcdefghijkl_${'0'.repeat(64)}` };
  credentials['malformed key'] = { 'x-api-key': 'vgl_nope' };
  credentials['bearer jwt-like'] = { authorization: 'Bearer not-a-real-token' };
  credentials['basic auth'] = { authorization: 'Basic YTpi' };
  credentials['hasura admin'] = { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'admin' };
  credentials['hasura, no role'] = { 'x-hasura-admin-secret': HASURA_SECRET };
  credentials['hasura, role user'] = { 'x-hasura-admin-secret': HASURA_SECRET, 'x-hasura-role': 'user' };
  credentials['hasura wrong'] = { 'x-hasura-admin-secret': 'wrong', 'x-hasura-role': 'admin' };
  for (const [username, role] of [
    ['fp-admin', 'admin'],
    ['fp-viewer', 'viewer'],
  ] as const) {
    await createUser(store, { username, password: PASSWORD, role });
  }
  const adminSession = await login('fp-admin');
  credentials['admin session'] = { cookie: `psession=${adminSession}` };
  credentials['admin session among cookies'] = { cookie: `theme=dark; psession=${adminSession}; other="x"` };
  credentials['viewer session'] = { cookie: `psession=${await login('fp-viewer')}` };
  credentials['unknown session'] = { cookie: `psession=${'A'.repeat(43)}` };
  credentials['other cookie only'] = { cookie: 'theme=dark' };
  credentials['hasura and admin session'] = { ...credentials['hasura wrong'], ...credentials['admin session'] };
  credentials.none = {};
  // Verified once by the full stack: from now on reused (the clock stands still).
  for (const headers of Object.values(credentials)) for (const path of PATHS) await send(pair.full.url, 'GET', path, headers);
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await pair?.close();
});

/** The variations every credential is sent with: only the first two may take the fast path. */
const VARIATIONS: Readonly<Record<string, { readonly method: string; readonly suffix: string; readonly headers: Readonly<Record<string, string>> }>> = {
  get: { method: 'GET', suffix: '', headers: {} },
  head: { method: 'HEAD', suffix: '', headers: {} },
  'request id': { method: 'GET', suffix: '', headers: { 'x-request-id': 'auth-matrix-1' } },
  'accept json': { method: 'GET', suffix: '', headers: { accept: 'application/json' } },
  'accept health+json': { method: 'GET', suffix: '', headers: { accept: 'application/health+json' } },
  'unknown query': { method: 'GET', suffix: '?unknown=1', headers: {} },
  'empty query': { method: 'GET', suffix: '?', headers: {} },
  'extra header': { method: 'GET', suffix: '', headers: { 'x-extra': '1' } },
  'forwarded for': { method: 'GET', suffix: '', headers: { 'x-forwarded-for': '203.0.113.9' } },
  'if-none-match': { method: 'GET', suffix: '', headers: { 'if-none-match': '*' } },
  post: { method: 'POST', suffix: '', headers: {} },
};

async function compareMatrix(
  target: Pair,
  names: readonly string[],
  paths: readonly string[],
  variations: readonly string[],
  given: Readonly<Record<string, Record<string, string>>> = credentials,
): Promise<string[]> {
  const mismatches: string[] = [];
  const all = names.flatMap((name) => paths.flatMap((path) => variations.map((variation) => [name, path, variation] as const)));
  for (let i = 0; i < all.length; i += 8) {
    await Promise.all(
      all.slice(i, i + 8).map(async ([name, path, variation]) => {
        const { method, suffix, headers: extra } = VARIATIONS[variation] as (typeof VARIATIONS)[string];
        const headers = { ...given[name], ...extra };
        const [a, b] = await Promise.all([send(target.fast.url, method, `${path}${suffix}`, headers), send(target.full.url, method, `${path}${suffix}`, headers)]);
        mismatches.push(...differences(`${method} ${path}${suffix} [${name}, ${variation}]`, a, b, headers['x-request-id']));
      }),
    );
  }
  return mismatches;
}

/** Credential -> the paths it is accepted on (role and scope): only those may be answered fast. */
const ACCEPTED: Readonly<Record<string, readonly string[]>> = {
  'status key': ['/health/status'],
  'health key': ['/health/detailed', '/health/consistency'],
  'admin key': ['/health/status', '/health/detailed', '/health/consistency'],
  // Where JWTs come first, the key is first read as a JWT (refused, then tried as a key): the full stack's.
  'admin key as bearer': ['/healthz/sources'],
  'hasura admin': ['/healthz/sources'],
  'hasura, no role': ['/healthz/sources'],
  'admin session': ['/healthz/sources', '/health/detailed', '/health/consistency', '/v1/admin/health'],
  'admin session among cookies': ['/healthz/sources', '/health/detailed', '/health/consistency', '/v1/admin/health'],
  'viewer session': ['/health/detailed', '/health/consistency'],
};

describe('the fast path for authenticated snapshot operations', () => {
  it('answers the whole matrix exactly as the full stack does', async () => {
    const before = pair.fast.vigil.fastPath?.answered() ?? 0;
    const mismatches = await compareMatrix(pair, Object.keys(credentials), PATHS, Object.keys(VARIATIONS));
    expect(mismatches.slice(0, 30)).toEqual([]);
    expect((pair.fast.vigil.fastPath?.answered() ?? 0) - before).toBeGreaterThan(40);
  }, 180_000);

  it('answers an accepted caller itself, and hands every other request to the full stack', async () => {
    const wrong: string[] = [];
    for (const name of Object.keys(credentials).filter((n) => !n.startsWith('hasura'))) {
      for (const path of PATHS) {
        for (const variation of Object.keys(VARIATIONS)) {
          const { method, suffix, headers } = VARIATIONS[variation] as (typeof VARIATIONS)[string];
          const { answer, fast } = await viaFast(pair, method, `${path}${suffix}`, { ...credentials[name], ...headers });
          const expected = (ACCEPTED[name] ?? []).includes(path) && ['get', 'head', 'request id', 'accept json', 'forwarded for'].includes(variation);
          if (fast !== expected) wrong.push(`${method} ${path}${suffix} [${name}, ${variation}]: ${fast ? 'fast' : 'full stack'} (${answer.status})`);
          if (fast && answer.status >= 400 && path !== '/health/consistency') wrong.push(`${path} [${name}]: answered ${answer.status} fast`);
        }
      }
    }
    // A right Hasura secret is reused only while its address has not failed since (the wrong
    // credentials above did): one success through the full stack first. Behind a proxy it is
    // not answered fast: Express's address for it is X-Forwarded-For's, not the socket's.
    await send(pair.full.url, 'GET', '/healthz/sources', credentials['hasura admin'] as Record<string, string>);
    for (const name of ['hasura admin', 'hasura, no role']) {
      expect((await viaFast(pair, 'GET', '/healthz/sources', { ...credentials[name] })).fast).toBe(true);
      expect((await viaFast(pair, 'GET', '/healthz/sources', { ...credentials[name], 'x-forwarded-for': '203.0.113.9' })).fast).toBe(false);
      expect((await viaFast(pair, 'GET', '/health/status', { ...credentials[name] })).fast).toBe(false);
    }
    expect((await viaFast(pair, 'GET', '/healthz/sources', { ...credentials['hasura, role user'] })).fast).toBe(false);
    expect(wrong).toEqual([]);
  }, 180_000);

  it('stops answering a revoked key, a logged-out session and a disabled user at once', async () => {
    const { store } = pair.app.deps;
    const revoked = await createApiKey(store, { name: 'to-revoke', scopes: ['status:read'] });
    const elsewhere = await createApiKey(store, { name: 'revoked-elsewhere', scopes: ['status:read'] });
    await createUser(store, { username: 'fp-leaving', password: PASSWORD, role: 'admin' });
    await createUser(store, { username: 'fp-disabled', password: PASSWORD, role: 'admin' });
    credentials['revoked key'] = { 'x-api-key': revoked.key };
    credentials['key revoked elsewhere'] = { 'x-api-key': elsewhere.key };
    credentials['logged-out session'] = { cookie: `psession=${await login('fp-leaving')}` };
    credentials['disabled user session'] = { cookie: `psession=${await login('fp-disabled')}` };
    const cases = [
      ['revoked key', '/health/status'],
      ['key revoked elsewhere', '/health/status'],
      ['logged-out session', '/v1/admin/health'],
      ['disabled user session', '/v1/admin/health'],
    ] as const;
    for (const [name, path] of cases) {
      await send(pair.full.url, 'GET', path, credentials[name] as Record<string, string>);
      const { answer, fast } = await viaFast(pair, 'GET', path, credentials[name] as Record<string, string>);
      expect([name, answer.status, fast]).toEqual([name, 200, true]);
    }

    await pair.identity.revokeApiKey(revoked.id);
    // Revoked by another process (the CLI, another replica): this one hears the store's NOTIFY.
    await store.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [elsewhere.id]);
    pair.identity.revoked({ kind: 'apiKey', keyId: elsewhere.id });
    await pair.identity.logout((credentials['logged-out session']?.cookie ?? '').slice('psession='.length));
    await pair.identity.setUserDisabled('fp-disabled', true);

    for (const [name, path] of cases) {
      const { answer, fast } = await viaFast(pair, 'GET', path, credentials[name] as Record<string, string>);
      expect([name, answer.status, fast]).toEqual([name, 401, false]);
    }
    const mismatches = await compareMatrix(pair, cases.map(([name]) => name), PATHS, ['get', 'head']);
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('writes the same request line for an authenticated answer as the full stack', async () => {
    const headers = credentials['status key'] as Record<string, string>;
    await send(pair.fast.url, 'GET', '/health/status', { ...headers, 'x-request-id': 'auth-log-fast' });
    await send(pair.full.url, 'GET', '/health/status', { ...headers, 'x-request-id': 'auth-log-full' });
    type Line = { req?: { id?: string; remoteAddress?: string }; time?: number; responseTime?: number };
    const lines = pair.app.logs().map((line) => JSON.parse(line) as Line);
    const fastLine = lines.find((line) => line.req?.id === 'auth-log-fast');
    const fullLine = lines.find((line) => line.req?.id === 'auth-log-full');
    expect(fastLine).toBeDefined();
    const strip = (line: Line | undefined) => ({ ...line, time: 0, responseTime: 0, req: { ...line?.req, id: '' } });
    expect(strip(fastLine)).toEqual(strip(fullLine));
    expect(pair.app.logs().join('\n')).not.toContain(headers['x-api-key']);
  });
});

describe('the fast path from a throttled address', () => {
  let throttled: Pair;
  const names = ['status key', 'hasura admin', 'admin session', 'unknown key', 'hasura wrong', 'none'];
  /** This app's own key and session; the others as above. */
  let own: Record<string, Record<string, string>>;

  beforeAll(async () => {
    throttled = await startPair({ auth: { throttle: { maxFailures: 3, maxAccountFailures: 1_000_000 } } });
    const { store } = throttled.app.deps;
    await createUser(store, { username: 'fp-throttled-admin', password: PASSWORD, role: 'admin' });
    const session = await throttled.identity.login('fp-throttled-admin', PASSWORD, '127.0.0.1');
    own = {
      ...credentials,
      'status key': { 'x-api-key': (await createApiKey(store, { name: 'throttled-status', scopes: ['status:read'] })).key },
      'admin session': { cookie: `psession=${session?.sessionId ?? ''}` },
    };
    for (const name of ['status key', 'hasura admin', 'admin session']) {
      for (const path of PATHS) await send(throttled.full.url, 'GET', path, own[name] as Record<string, string>);
    }
    for (let i = 0; i < 3; i += 1) await send(throttled.full.url, 'GET', '/health/status', own['unknown key'] as Record<string, string>);
  }, 60_000);

  afterAll(async () => {
    await throttled?.close();
  });

  it('answers as the full stack: keys and sessions served, the Hasura secret and failures refused', async () => {
    expect((await send(throttled.full.url, 'GET', '/health/status', own['unknown key'] as Record<string, string>)).status).toBe(429);
    const mismatches = await compareMatrix(throttled, names, PATHS, ['get', 'head', 'extra header'], own);
    expect(mismatches).toEqual([]);
    expect(await viaFast(throttled, 'GET', '/health/status', own['status key'] as Record<string, string>)).toMatchObject({ fast: true, answer: { status: 200 } });
    expect(await viaFast(throttled, 'GET', '/v1/admin/health', own['admin session'] as Record<string, string>)).toMatchObject({ fast: true, answer: { status: 200 } });
    expect(await viaFast(throttled, 'GET', '/healthz/sources', own['hasura admin'] as Record<string, string>)).toMatchObject({ fast: false, answer: { status: 429 } });
  }, 60_000);
});
