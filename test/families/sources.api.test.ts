// 004 `GET /healthz/sources` and Hasura's `GET /healthz`, end to end through the generated
// client against the real app, engine and identity, with real dependencies on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealthz, getHealthzSources } from '../../generated/sdk.gen.ts';
import type { SourcesHealth } from '../../generated/types.gen.ts';
import { createApiKey, createUser, signHs256Jwt } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { startSilentTcpServer, type SilentTcpServer } from '../support/servers/silent-tcp.ts';
import { ON_DEMAND, runUntil, runUntilOk } from '../support/source-states.ts';

const HASURA_SECRET = 'hasura-admin-secret-4f1c9a';
const JWT_SECRET = 'jwt-secret-for-sources-tests-0123456789abcdef';
const REDIS_PASSWORD = 'redis-pw-7d2e91';

type Headers = Record<string, string>;

describe('GET /healthz/sources', () => {
  let app: TestApp;
  let silent: SilentTcpServer;
  const credentials: Record<string, Headers> = {};

  beforeAll(async () => {
    silent = await startSilentTcpServer();
    const closedPort = await freePort();
    app = await startTestApp({
      sources: [
        { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', ...ON_DEMAND },
        { name: 'app-db', kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', ...ON_DEMAND },
        { name: 'down', kind: 'redis', url: `redis://:${REDIS_PASSWORD}@127.0.0.1:${closedPort}`, ...ON_DEMAND },
        { name: 'hang', kind: 'redis', url: `redis://127.0.0.1:${silent.port}`, ...ON_DEMAND, timeoutMs: 300 },
        { name: 'misconfigured', kind: 'redis', url: 'http://127.0.0.1:6379', ...ON_DEMAND },
        { name: 'hidden', kind: 'redis', url: 'redis://127.0.0.1:6379', ...ON_DEMAND },
      ],
      config: {
        auth: {
          hasuraAdminSecret: HASURA_SECRET,
          jwt: { secret: JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined, roleClaim: 'role' },
        },
        families: { sources: { exclude: ['hidden'] } },
      },
    });
    await runUntilOk(app.deps.engine, ['cache', 'app-db']);
    const { store, identity } = app.deps;
    const { key: adminKey } = await createApiKey(store, { name: 'ops', admin: true });
    const { key: viewerKey } = await createApiKey(store, { name: 'ci', role: 'viewer', scopes: ['*'] });
    await createUser(store, { username: 'ada', password: 'correct horse battery', role: 'admin' });
    await createUser(store, { username: 'bob', password: 'correct horse battery', role: 'viewer' });
    const adminSession = await identity.login('ada', 'correct horse battery', '127.0.0.1');
    const viewerSession = await identity.login('bob', 'correct horse battery', '127.0.0.1');
    if (!adminSession || !viewerSession) throw new Error('login failed');
    const jwt = (role: 'admin' | 'viewer') => signHs256Jwt({ secret: JWT_SECRET, role, claims: { sub: `jwt-${role}` } });
    Object.assign(credentials, {
      none: {},
      hasuraAdmin: { 'X-Hasura-Admin-Secret': HASURA_SECRET, 'X-Hasura-Role': 'admin' },
      hasuraUserRole: { 'X-Hasura-Admin-Secret': HASURA_SECRET, 'X-Hasura-Role': 'user' },
      hasuraWrongSecret: { 'X-Hasura-Admin-Secret': 'not-the-secret', 'X-Hasura-Role': 'admin' },
      hasuraRoleOnly: { 'X-Hasura-Role': 'admin' },
      adminApiKey: { Authorization: `Bearer ${adminKey}` },
      viewerKeyAsBearer: { Authorization: `Bearer ${viewerKey}` },
      viewerKeyAsXApiKey: { 'X-API-Key': viewerKey },
      adminSession: { Cookie: `psession=${adminSession.sessionId}` },
      viewerSession: { Cookie: `psession=${viewerSession.sessionId}` },
      adminJwt: { Authorization: `Bearer ${await jwt('admin')}` },
      viewerJwt: { Authorization: `Bearer ${await jwt('viewer')}` },
    });
  });

  afterAll(async () => {
    await app?.close();
    await silent?.close();
  });

  it.each([
    ['no credential', 'none', 401],
    ['Hasura admin secret with role admin', 'hasuraAdmin', 200],
    ['Hasura admin secret with another role', 'hasuraUserRole', 403],
    ['a wrong Hasura admin secret', 'hasuraWrongSecret', 401],
    ['X-Hasura-Role alone', 'hasuraRoleOnly', 401],
    ['an admin API key', 'adminApiKey', 200],
    ['a viewer API key as Bearer', 'viewerKeyAsBearer', 401],
    ['a viewer API key as X-API-Key (not accepted here)', 'viewerKeyAsXApiKey', 401],
    ["an admin's session", 'adminSession', 200],
    ["a viewer's session", 'viewerSession', 403],
    ['an admin JWT', 'adminJwt', 200],
    ['a viewer JWT', 'viewerJwt', 403],
  ])('answers %s (%s) with %d', async (_label, credential, expected) => {
    const { response, data, error } = await getHealthzSources({ client: app.client, headers: credentials[credential] });
    expect(response.status).toBe(expected);
    if (expected === 200) {
      expect(Object.keys(data ?? {})).toContain('cache');
    } else {
      expect(error).toEqual({ path: '$', error: expect.any(String), code: 'access-denied' });
    }
  });

  async function report(): Promise<SourcesHealth> {
    const { response, data } = await getHealthzSources({ client: app.client, headers: credentials.hasuraAdmin });
    expect(response.status).toBe(200);
    if (!data) throw new Error('no body');
    return data;
  }

  it('reports each source in the Hasura status its last check produced, with the documented error form', async () => {
    const body = await report();
    expect(Object.keys(body)).toEqual(['cache', 'app-db', 'down', 'hang', 'misconfigured']);
    expect(body.cache).toMatchObject({ status: 'OK', error: null });
    expect(body['app-db']).toMatchObject({ status: 'OK', error: null });
    expect(body.hang).toMatchObject({ status: 'TIMEOUT', error: null });
    expect(body.down?.status).toBe('ERROR');
    expect(body.down?.error).toEqual({ message: expect.stringMatching(/^redis: /), extra: expect.anything() });
    expect(body.misconfigured?.status).toBe('FAILED');
    expect(body.misconfigured?.error).toEqual(expect.stringContaining('url'));
  });

  it('leaves out the excluded source', async () => {
    expect(await report()).not.toHaveProperty('hidden');
  });

  it('gives the UTC time of the last run, and it moves when the source runs again', async () => {
    const before = (await report()).cache?.timestamp ?? '';
    expect(before).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const result = await app.deps.engine.runNow('cache');
    const after = (await report()).cache?.timestamp ?? '';
    expect(after).toBe(result.timestamp);
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
  });

  it('never shows a password, neither in the body nor in the logs', async () => {
    const text = JSON.stringify(await report());
    expect(text).not.toContain(REDIS_PASSWORD);
    expect(app.logs().join('\n')).not.toContain(REDIS_PASSWORD);
    expect(app.logs().join('\n')).not.toContain(HASURA_SECRET);
  });

  it('answers an unknown query parameter with 400 in Hasura shape', async () => {
    const response = await fetch(`${app.baseUrl}/healthz/sources?verbose=1`, { headers: credentials.hasuraAdmin });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ path: '$', error: expect.any(String), code: 'bad-request' });
  });

  it('answers /healthz with ERROR (500) while a critical source is failing', async () => {
    const { response, error } = await getHealthz({ client: app.client });
    expect(response.status).toBe(500);
    expect(error).toBe('ERROR');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});

describe('GET /healthz', () => {
  let app: TestApp;
  let side: PrivateProcess;

  beforeAll(async () => {
    side = await startRedis();
    app = await startTestApp({
      sources: [
        { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', ...ON_DEMAND },
        { name: 'side', kind: 'redis', url: `redis://127.0.0.1:${side.port}`, critical: false, ...ON_DEMAND },
      ],
    });
    await runUntilOk(app.deps.engine, ['cache', 'side']);
  });

  afterAll(async () => {
    await app?.close();
    await side?.stop();
  });

  it('is public and answers OK while every source is healthy, strict or not', async () => {
    for (const strict of [undefined, false, true]) {
      const { response, data } = await getHealthz({ client: app.client, query: strict === undefined ? undefined : { strict } });
      expect(response.status).toBe(200);
      expect(data).toBe('OK');
    }
  });

  it('warns (200) when a non-critical source fails, and errors (500) with strict=true, then recovers', async () => {
    await side.kill();
    await runUntil(app.deps.engine, 'side', (result) => result.status !== 'ok');

    const lenient = await getHealthz({ client: app.client });
    expect(lenient.response.status).toBe(200);
    expect(lenient.data).toBe('WARN: inconsistent sources');

    const strict = await getHealthz({ client: app.client, query: { strict: true } });
    expect(strict.response.status).toBe(500);
    expect(strict.error).toBe('ERROR: inconsistent sources');

    await side.restart();
    await runUntil(app.deps.engine, 'side', (result) => result.status === 'ok');
    expect((await getHealthz({ client: app.client })).data).toBe('OK');
  });
});

// Issue 11.2: /healthz said WARN while /healthz/sources showed every source OK (a degraded
// source was OK with error null). The two answers must agree, and the admin must see why.
describe('/healthz and /healthz/sources agree on a degraded source', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      sources: [
        { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', ...ON_DEMAND },
        // Any memory in use is above a 0 % threshold: the host always reads as degraded.
        { name: 'host', kind: 'resources', memory_degraded_percent: 0, cpu_sample_ms: 10, ...ON_DEMAND },
      ],
      config: { auth: { hasuraAdminSecret: HASURA_SECRET } },
    });
    await runUntilOk(app.deps.engine, ['cache']);
    await runUntil(app.deps.engine, 'host', (result) => result.status === 'degraded');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('says WARN on /healthz and shows the degraded source, with its reason, on /healthz/sources', async () => {
    const healthz = await getHealthz({ client: app.client });
    expect(healthz.response.status).toBe(200);
    expect(healthz.data).toBe('WARN: inconsistent sources');

    const { response, data } = await getHealthzSources({
      client: app.client,
      headers: { 'X-Hasura-Admin-Secret': HASURA_SECRET, 'X-Hasura-Role': 'admin' },
    });
    expect(response.status).toBe(200);
    expect(data?.cache).toMatchObject({ status: 'OK', error: null });
    // Still OK for a Hasura client, but not indistinguishable from a healthy source.
    expect(data?.host?.status).toBe('OK');
    expect(data?.host?.error).toEqual({ message: 'resources: degraded', extra: expect.stringMatching(/^resources: memory [\d.]+% used$/) });
    const reported = Object.values(data ?? {});
    expect(reported.some((source) => source.error !== null)).toBe(true);
  });
});
