// 002 end to end: public `GET /v1/health` and session-protected `GET /v1/admin/health`
// through the generated client, against the shared PostgreSQL and a private redis-server
// (its keys are ours to count). Each documented status in the state that produces it.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdminHealth, getPublicHealth } from '../../generated/sdk.gen.ts';
import type { AdminError, AdminHealthReport, PublicHealthReport } from '../../generated/types.gen.ts';
import { createApiKey, createUser } from '../../src/identity/index.ts';
import { SOURCE_HASH_COMMAND, VIGIL_ROOT } from '../../src/source-hash.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { startSilentTcpServer, type SilentTcpServer } from '../support/servers/silent-tcp.ts';
import { settleSources } from '../support/settle.ts';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SLOW = { intervalMs: 60_000 };
const cookie = (sessionId: string) => ({ Cookie: `psession=${sessionId}` });

describe('admin health against a healthy world', () => {
  const redisPassword = `pw-${randomBytes(8).toString('hex')}`;
  let redis: PrivateProcess;
  let redisClient: Redis;
  let app: TestApp;
  let adminSession: string;
  let viewerSession: string;
  let adminKey: string;

  beforeAll(async () => {
    redis = await startRedis({ password: redisPassword });
    redisClient = new Redis({ host: '127.0.0.1', port: redis.port, password: redisPassword, lazyConnect: true, maxRetriesPerRequest: 1 });
    redisClient.on('error', () => undefined);
    await redisClient.connect();
    app = await startTestApp({
      sources: [
        { name: 'app-db', kind: 'postgres', url: PG_URL, ...SLOW },
        { name: 'cache', kind: 'redis', url: `redis://:${redisPassword}@127.0.0.1:${redis.port}/0`, ...SLOW },
      ],
      config: { families: { admin: { database: 'app-db', cache: 'cache' } } },
    });
    const { store, identity } = app.deps;
    await createUser(store, { username: 'ada', password: 'admin password', role: 'admin' });
    await createUser(store, { username: 'bob', password: 'viewer password', role: 'viewer' });
    adminSession = (await identity.login('ada', 'admin password', '127.0.0.1'))!.sessionId;
    viewerSession = (await identity.login('bob', 'viewer password', '127.0.0.1'))!.sessionId;
    adminKey = (await createApiKey(store, { name: 'ops', admin: true })).key;
    await settleSources(app.deps.engine);
  });

  afterAll(async () => {
    await app?.close();
    redisClient?.disconnect();
    await redis?.stop();
  });

  it('answers the public endpoint 200 healthy with measured figures and no source_hash', async () => {
    const { response, data } = await getPublicHealth({ client: app.client });
    expect(response.status).toBe(200);
    const body = data as PublicHealthReport;
    expect(body).not.toHaveProperty('source_hash');
    expect(body.status).toBe('healthy');
    expect(body.database).toBe(true);
    expect(body.cache).toBe(true);
    expect(body.errors).toEqual([]);
    expect(body.started_at).toBe(app.deps.startedAt.toISOString());
    const db = body.db_statistics;
    expect(db.size).toBeGreaterThan(0);
    expect(db.total).toBeGreaterThanOrEqual(1);
    expect((db.checked_in ?? 0) + (db.checked_out ?? 0)).toBe(db.total);
    expect(db.overflow).toBe(0);
    expect(db.latency_ms).toBeGreaterThan(0);
    const cache = body.cache_statistics;
    expect(cache.memory_usage_bytes).toBeGreaterThan(0);
    expect(cache.connected_clients).toBeGreaterThanOrEqual(2); // ours and Vigil's
    expect(cache.latency_ms).toBeGreaterThan(0);
    expect(cache.hit_rate).toBeGreaterThanOrEqual(0);
  });

  it('answers an admin session 200 healthy with a source_hash', async () => {
    const { response, data } = await getAdminHealth({ client: app.client, headers: cookie(adminSession) });
    expect(response.status).toBe(200);
    const body = data as AdminHealthReport;
    expect(body.status).toBe('healthy');
    expect(body.source_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('computes source_hash at start-up exactly as the documented command does', async () => {
    // Other people edit this checkout while tests run: start an app between two runs of the
    // command until both agree, i.e. the files held still while the app hashed them.
    const command = () => execFileSync('bash', ['-o', 'pipefail', '-c', SOURCE_HASH_COMMAND], { cwd: VIGIL_ROOT, encoding: 'utf8' }).trim();
    for (let attempt = 1; ; attempt++) {
      const before = command();
      // Same store and identity (cheap to start, same admin session), its own start-up hash.
      const fresh = await startTestApp({ store: app.deps.store, identity: app.deps.identity });
      try {
        const after = command();
        if (before !== after && attempt < 4) continue;
        const { data } = await getAdminHealth({ client: fresh.client, headers: cookie(adminSession) });
        expect((data as AdminHealthReport).source_hash).toBe(after);
        return;
      } finally {
        await fresh.close();
      }
    }
  });

  it.each<[string, () => Record<string, string>, 401 | 403]>([
    ['no credential', () => ({}), 401],
    ['a session id that does not exist', () => cookie(randomBytes(32).toString('base64url')), 401],
    ['an admin API key (not a session)', () => ({ Authorization: `Bearer ${adminKey}` }), 401],
    ['a viewer session (weak)', () => cookie(viewerSession), 403],
  ])('answers %s with %i in the {detail} shape', async (_label, headers, status) => {
    const { response, error } = await getAdminHealth({ client: app.client, headers: headers() });
    expect(response.status).toBe(status);
    expect(error).toEqual({ detail: expect.any(String) } satisfies AdminError);
  });

  it('answers 401 once the session is logged out', async () => {
    const session = (await app.deps.identity.login('ada', 'admin password', '127.0.0.1'))!.sessionId;
    expect((await getAdminHealth({ client: app.client, headers: cookie(session) })).response.status).toBe(200);
    await app.deps.identity.logout(session);
    expect((await getAdminHealth({ client: app.client, headers: cookie(session) })).response.status).toBe(401);
  });

  it('follows the cache: total_keys rises by the keys written, commands processed grow', async () => {
    await app.deps.engine.runNow('cache');
    const before = (await getPublicHealth({ client: app.client })).data as PublicHealthReport;
    const prefix = `vigil-test:${randomBytes(4).toString('hex')}:`;
    const written = 25;
    await Promise.all(Array.from({ length: written }, (_, i) => redisClient.set(`${prefix}${i}`, 'x')));
    await app.deps.engine.runNow('cache');
    const after = (await getPublicHealth({ client: app.client })).data as PublicHealthReport;
    expect(after.cache_statistics.total_keys).toBe((before.cache_statistics.total_keys ?? 0) + written);
    expect(after.cache_statistics.total_commands_processed).toBeGreaterThan(before.cache_statistics.total_commands_processed ?? 0);
    await redisClient.del(...Array.from({ length: written }, (_, i) => `${prefix}${i}`));
  });

  it('follows the cache going down: 503 unhealthy, reasons for admins only, no password anywhere', async () => {
    await redis.kill();
    try {
      await app.deps.engine.runNow('cache');
      const pub = await getPublicHealth({ client: app.client });
      expect(pub.response.status).toBe(503);
      const publicBody = pub.error as PublicHealthReport;
      expect(publicBody.status).toBe('unhealthy');
      expect(publicBody.cache).toBe(false);
      expect(publicBody.database).toBe(true);
      expect(publicBody.errors).toEqual(['cache: unavailable']);
      expect(Object.values(publicBody.cache_statistics).every((v) => v === null)).toBe(true);

      const admin = await getAdminHealth({ client: app.client, headers: cookie(adminSession) });
      expect(admin.response.status).toBe(503);
      const adminBody = admin.error as AdminHealthReport;
      expect(adminBody.errors).toHaveLength(1);
      expect(adminBody.errors[0]).toMatch(/^cache: redis: /);
      expect(adminBody.source_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify([publicBody, adminBody])).not.toContain(redisPassword);
    } finally {
      await redis.restart();
      await redisClient.connect().catch(() => undefined);
    }
    await settleSources(app.deps.engine);
    const back = await getPublicHealth({ client: app.client });
    expect(back.response.status).toBe(200);
    expect((back.data as PublicHealthReport).status).toBe('healthy');
    expect(app.logs().join('\n')).not.toContain(redisPassword);
  });
});

describe('admin health against a degraded and a misconfigured world', () => {
  let silent: SilentTcpServer;
  let degraded: TestApp;
  let misconfigured: TestApp;
  let adminSession: string;

  beforeAll(async () => {
    silent = await startSilentTcpServer();
    const closedPort = await freePort();
    degraded = await startTestApp({
        sources: [
          // Non-critical and down, and non-critical and hanging: degraded, not unhealthy.
          { name: 'app-db', kind: 'postgres', url: `postgres://postgres@127.0.0.1:${closedPort}/test`, critical: false, ...SLOW },
          { name: 'cache', kind: 'redis', url: `redis://127.0.0.1:${silent.port}/0`, critical: false, timeoutMs: 300, ...SLOW },
        ],
        config: { families: { admin: { database: 'app-db', cache: 'cache' } } },
    });
    misconfigured = await startTestApp({
      store: degraded.deps.store,
      identity: degraded.deps.identity,
      // Critical database that cannot be checked as configured; no cache configured.
      sources: [{ name: 'app-db', kind: 'postgres', url: 'mysql://127.0.0.1/test', ...SLOW }],
      config: { families: { admin: { database: 'app-db' } } },
    });
    await createUser(degraded.deps.store, { username: 'ada', password: 'admin password', role: 'owner' });
    adminSession = (await degraded.deps.identity.login('ada', 'admin password', '127.0.0.1'))!.sessionId;
  });

  afterAll(async () => {
    await misconfigured?.close();
    await degraded?.close();
    await silent?.close();
  });

  it('answers 200 degraded when non-critical components are down or time out', async () => {
    const pub = await getPublicHealth({ client: degraded.client });
    expect(pub.response.status).toBe(200);
    const body = pub.data as PublicHealthReport;
    expect(body.status).toBe('degraded');
    expect([body.database, body.cache]).toEqual([false, false]);
    expect(body.errors).toEqual(['database: unavailable', 'cache: unavailable']);

    const admin = await getAdminHealth({ client: degraded.client, headers: cookie(adminSession) });
    expect(admin.response.status).toBe(200);
    const errors = (admin.data as AdminHealthReport).errors;
    expect(errors[0]).toMatch(/^database: postgres: /);
    expect(errors[1]).toBe('cache: redis: no answer within 300 ms');
  });

  it('answers 503 unhealthy for a critical database it cannot check as configured', async () => {
    const { response, error } = await getPublicHealth({ client: misconfigured.client });
    expect(response.status).toBe(503);
    const body = error as PublicHealthReport;
    expect(body.status).toBe('unhealthy');
    expect(body.errors).toEqual(['database: unavailable', 'cache: not configured']);
  });

  it('refuses to start when families.admin names a source of the wrong kind', async () => {
    await expect(
      startTestApp({
        sources: [{ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:1/0', ...SLOW }],
        config: { families: { admin: { database: 'cache' } } },
        store: degraded.deps.store,
        identity: degraded.deps.identity,
        waitForSources: false,
      }),
    ).rejects.toThrow('families.admin.database: source "cache" is of kind "redis"');
  });
});
