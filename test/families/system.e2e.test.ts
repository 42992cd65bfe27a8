// 000 end to end: the running app, through the generated client, against real MariaDB,
// RabbitMQ, a private redis-server, a test Elasticsearch and test HTTP targets. Each documented
// status is asserted in the state that produces it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSystemHealthCheck, postSystemHealthCheck } from '../../generated/sdk.gen.ts';
import type { SystemErrorResponse } from '../../generated/types.gen.ts';
import { createApiKey, createUser, revokeApiKey, setUserDisabled } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { startElasticsearchServer, type TestElasticsearchServer } from '../support/servers/elasticsearch.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';
import { startSilentTcpServer, type SilentTcpServer } from '../support/servers/silent-tcp.ts';
import { settleSources } from '../support/settle.ts';
import { ALL_CHECKS_OK, SYSTEM_FAMILY } from './system-fixtures.ts';

// Background runs are rare; each test refreshes what it changed with engine.runNow().
const SLOW = { intervalMs: 60_000 };
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

function codesOf(error: unknown): number[] {
  return (error as SystemErrorResponse).Errors.map((e) => e.Code);
}

describe('system health check against a healthy world', () => {
  const redisPassword = `pw-${randomBytes(8).toString('hex')}`;
  const adminPassword = 'correct horse battery';
  let redis: PrivateProcess;
  let search: TestElasticsearchServer;
  let targets: TestHttpServer[];
  let app: TestApp;
  let adminKey: string;
  let userKey: string;
  let sessionId: string;

  beforeAll(async () => {
    [redis, search, ...targets] = await Promise.all([
      startRedis({ password: redisPassword }),
      startElasticsearchServer(),
      startHttpServer(),
      startHttpServer(),
      startHttpServer(),
    ]);
    const [container, adminUi, userUi] = targets as [TestHttpServer, TestHttpServer, TestHttpServer];
    app = await startTestApp({
      sources: [
        { name: 'mariadb', kind: 'mysql', url: 'mysql://root@127.0.0.1:3306/test', ...SLOW },
        { name: 'search', kind: 'elasticsearch', url: search.url, timeoutMs: 1_500, ...SLOW },
        { name: 'broker', kind: 'rabbitmq', url: 'amqp://guest:guest@127.0.0.1:5672', ...SLOW },
        { name: 'cache', kind: 'redis', url: `redis://:${redisPassword}@127.0.0.1:${redis.port}/0`, ...SLOW },
        { name: 'api-container', kind: 'http', url: container.url, ...SLOW },
        { name: 'admin-ui', kind: 'http', url: adminUi.url, ...SLOW },
        { name: 'user-ui', kind: 'http', url: userUi.url, ...SLOW },
      ],
      config: { families: { system: SYSTEM_FAMILY } },
    });
    const { store, identity } = app.deps;
    await createUser(store, { username: 'ada', password: adminPassword, role: 'admin' });
    adminKey = (await createApiKey(store, { name: 'ops', admin: true })).key;
    userKey = (await createApiKey(store, { name: 'user', role: 'viewer', scopes: ['health:read'] })).key;
    sessionId = (await identity.login('ada', adminPassword, '127.0.0.1'))!.sessionId;
    await settleSources(app.deps.engine);
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([redis?.stop(), search?.close(), ...(targets ?? []).map((t) => t.close())]);
  });

  it('answers POST 200 with every check OK, as in the document', async () => {
    const { response, data } = await postSystemHealthCheck({ client: app.client, body: { SessionID: sessionId, AdminAPIKey: adminKey } });
    expect(response.status).toBe(200);
    expect(data).toEqual({ Checks: ALL_CHECKS_OK });
  });

  it.each<[string, () => Record<string, string>]>([
    ['the psession cookie', () => ({ ...bearer(adminKey), Cookie: `psession=${sessionId}` })],
    ['an X-API-Key', () => ({ ...bearer(adminKey), 'X-API-Key': userKey })],
  ])('answers the GET form 200 with the user identified by %s', async (_label, headers) => {
    const { response, data } = await getSystemHealthCheck({ client: app.client, headers: headers() });
    expect(response.status).toBe(200);
    expect(data).toEqual({ Checks: ALL_CHECKS_OK });
  });

  it.each<[string, () => { body?: Record<string, string>; headers?: Record<string, string> }]>([
    ['no credential at all', () => ({ body: { SessionID: sessionId } })],
    ['a wrong admin key', () => ({ body: { SessionID: sessionId, AdminAPIKey: `vgl_${'a'.repeat(12)}_${'0'.repeat(64)}` } })],
    ['a token that is not a key', () => ({ body: { SessionID: sessionId }, headers: bearer('not-a-key') })],
    ['a viewer API key (weak)', () => ({ body: { SessionID: sessionId }, headers: bearer(userKey) })],
    ['an admin session instead of a key (weak)', () => ({ body: {}, headers: { Cookie: `psession=${sessionId}` } })],
  ])('answers 403 with code 1 for %s', async (_label, request) => {
    const { response, error } = await postSystemHealthCheck({ client: app.client, ...request() });
    expect(response.status).toBe(403);
    expect(codesOf(error)).toEqual([1]);
  });

  it('answers the GET form 403 with code 1 without an admin key', async () => {
    const { response, error } = await getSystemHealthCheck({ client: app.client, headers: { 'X-API-Key': userKey } });
    expect(response.status).toBe(403);
    expect(codesOf(error)).toEqual([1]);
  });

  it('refuses an admin-role key without the system:admin scope (weak credential)', async () => {
    const { key } = await createApiKey(app.deps.store, { name: 'half-admin', role: 'admin', scopes: ['health:read'] });
    const { response, error } = await getSystemHealthCheck({ client: app.client, headers: { ...bearer(key), 'X-API-Key': userKey } });
    expect(response.status).toBe(403);
    expect(codesOf(error)).toEqual([1]);
  });

  it('answers 400 with code 11 for a body field the document does not list', async () => {
    const { response, error } = await postSystemHealthCheck({
      client: app.client,
      headers: bearer(adminKey),
      body: { SessionID: sessionId, Extra: 'x' } as never,
    });
    expect(response.status).toBe(400);
    expect(codesOf(error)).toEqual([11]);
  });

  it("answers the document's own example (GET with only the admin key) with 200, Session OK", async () => {
    const { response, data } = await getSystemHealthCheck({ client: app.client, headers: bearer(adminKey) });
    expect(response.status).toBe(200);
    expect(data?.Checks).toEqual(ALL_CHECKS_OK);
  });

  it('reports code 6 for a logged-out session and for a revoked API key', async () => {
    const other = (await app.deps.identity.login('ada', adminPassword, '127.0.0.1'))!.sessionId;
    await app.deps.identity.logout(other);
    const loggedOut = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { SessionID: other } });
    expect(loggedOut.response.status).toBe(503);
    expect(codesOf(loggedOut.error)).toEqual([6]);

    const { id, key } = await createApiKey(app.deps.store, { name: 'soon-revoked', role: 'viewer' });
    const before = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { APIKey: key } });
    expect(before.response.status).toBe(200);
    await revokeApiKey(app.deps.store, id);
    const after = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { APIKey: key } });
    expect(after.response.status).toBe(503);
    expect(codesOf(after.error)).toEqual([6]);
    expect(JSON.stringify(after.error)).not.toContain(key);
  });

  it('reports code 2 while no admin user exists, although the admin key still authenticates', async () => {
    await setUserDisabled(app.deps.store, 'ada', true);
    try {
      const { response, error } = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { APIKey: userKey } });
      expect(response.status).toBe(503);
      expect((error as SystemErrorResponse).Errors).toEqual([{ Code: 2, Message: 'There is no registered admin user.' }]);
      expect((error as SystemErrorResponse).Checks).toEqual(ALL_CHECKS_OK);
    } finally {
      await setUserDisabled(app.deps.store, 'ada', false);
    }
    const { response } = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { APIKey: userKey } });
    expect(response.status).toBe(200);
  });

  it('follows Redis going down and coming back (code 5), without leaking its password', async () => {
    await redis.kill();
    try {
      await app.deps.engine.runNow('cache');
      const { response, error } = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { APIKey: userKey } });
      expect(response.status).toBe(503);
      const body = error as SystemErrorResponse;
      expect(body.Errors).toEqual([{ Code: 5, Message: 'Redis connection failed.', Detail: expect.stringMatching(/^redis: /) }]);
      expect(body.Checks?.Redis).toBe('FAILED');
      expect(JSON.stringify(body)).not.toContain(redisPassword);
    } finally {
      await redis.restart();
    }
    await settleSources(app.deps.engine);
    const { response } = await postSystemHealthCheck({ client: app.client, headers: bearer(adminKey), body: { APIKey: userKey } });
    expect(response.status).toBe(200);
    expect(app.logs().join('\n')).not.toContain(redisPassword);
  });

  it.each<[string, number, 'SystemContainer' | 'AdminFrontend' | 'UserFrontend']>([
    ['api-container', 8, 'SystemContainer'],
    ['admin-ui', 9, 'AdminFrontend'],
    ['user-ui', 10, 'UserFrontend'],
  ])('reports %s answering 500 as code %i', async (source, code, check) => {
    const target = targets[['api-container', 'admin-ui', 'user-ui'].indexOf(source)] as TestHttpServer;
    target.answer({ status: 500, body: 'boom' });
    try {
      await app.deps.engine.runNow(source);
      const { response, error } = await getSystemHealthCheck({ client: app.client, headers: { ...bearer(adminKey), 'X-API-Key': userKey } });
      expect(response.status).toBe(503);
      expect(codesOf(error)).toEqual([code]);
      expect((error as SystemErrorResponse).Checks?.[check]).toBe('FAILED');
      expect((error as SystemErrorResponse).Errors[0]?.Detail).toContain('answered 500');
    } finally {
      target.answer({ status: 200, body: 'ok' });
      await settleSources(app.deps.engine);
    }
  });

  it('reports Elasticsearch yellow as DEGRADED (200), red and a timeout as code 3', async () => {
    const ask = () => getSystemHealthCheck({ client: app.client, headers: { ...bearer(adminKey), 'X-API-Key': userKey } });
    try {
      search.setStatus('yellow');
      await app.deps.engine.runNow('search');
      const yellow = await ask();
      expect(yellow.response.status).toBe(200);
      expect(yellow.data?.Checks.Elasticsearch).toBe('DEGRADED');

      search.setStatus('red');
      await app.deps.engine.runNow('search');
      const red = await ask();
      expect(red.response.status).toBe(503);
      expect(codesOf(red.error)).toEqual([3]);

      search.setStatus('green');
      search.setDelayMs(3_000);
      await app.deps.engine.runNow('search');
      const slow = await ask();
      expect(slow.response.status).toBe(503);
      expect((slow.error as SystemErrorResponse).Errors).toEqual([
        { Code: 3, Message: 'Elasticsearch connection failed.', Detail: expect.stringContaining('no answer within 1500 ms') },
      ]);
    } finally {
      search.setStatus('green');
      search.setDelayMs(0);
      await settleSources(app.deps.engine);
    }
    expect((await ask()).response.status).toBe(200);
  });
});

describe('system health check against a broken world', () => {
  let silent: SilentTcpServer;
  let app: TestApp;
  let adminKey: string;

  beforeAll(async () => {
    silent = await startSilentTcpServer();
    const closedPort = await freePort();
    app = await startTestApp({
      sources: [
        // Nothing listens there: MariaDB down.
        { name: 'mariadb', kind: 'mysql', url: `mysql://root@127.0.0.1:${closedPort}/test`, ...SLOW },
        // Bad configuration: not an AMQP URL, so the source cannot be checked at all.
        { name: 'broker', kind: 'rabbitmq', url: 'http://127.0.0.1:5672', ...SLOW },
        // Accepts and never answers: a timeout.
        { name: 'user-ui', kind: 'http', url: silent.url, timeoutMs: 300, ...SLOW },
      ],
      config: { families: { system: { mysql: 'mariadb', rabbitmq: 'broker', user_frontend: 'user-ui' } } },
    });
    // No user at all: no admin user (code 2); the session the caller names is unknown (code 6).
    adminKey = (await createApiKey(app.deps.store, { name: 'ops', admin: true })).key;
  });

  afterAll(async () => {
    await app?.close();
    await silent?.close();
  });

  it('answers 503 listing every failure by code, and NOT_CONFIGURED for the unmapped components', async () => {
    const { response, error } = await getSystemHealthCheck({
      client: app.client,
      headers: { ...bearer(adminKey), cookie: 'psession=no-such-session' },
    });
    expect(response.status).toBe(503);
    const body = error as SystemErrorResponse;
    expect(body.Errors.map((e) => e.Code)).toEqual([2, 4, 6, 7, 10]);
    const detail = (code: number) => body.Errors.find((e) => e.Code === code)?.Detail ?? '';
    expect(detail(4)).toMatch(/option "url"/);
    expect(detail(7)).toMatch(/^mysql: /);
    expect(detail(10)).toContain('no answer within 300 ms');
    expect(body.Checks).toEqual({
      MySQL: 'FAILED',
      Elasticsearch: 'NOT_CONFIGURED',
      RabbitMQ: 'FAILED',
      Redis: 'NOT_CONFIGURED',
      Session: 'FAILED',
      SystemContainer: 'NOT_CONFIGURED',
      AdminFrontend: 'NOT_CONFIGURED',
      UserFrontend: 'FAILED',
    });
  });

  it('refuses to start when a component names no configured source', async () => {
    const { store, identity } = app.deps;
    await expect(
      startTestApp({ store, identity, config: { families: { system: { mysql: 'no-such-source' } } } }),
    ).rejects.toThrow('families.system.mysql: no source named "no-such-source"');
  });
});
