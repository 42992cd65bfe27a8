// 001 end to end: the real app, the real engine and real sources (a private PostgreSQL
// database, a private redis-server, test Qdrant / SFTPGo / HTTP servers, temp directories),
// called through the generated client.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealth, getHealthConsistency, getHealthDetailed, getSftpgoStats } from '../../generated/sdk.gen.ts';
import { readBuildInfo } from '../../src/build-info.ts';
import { createApiKey, createUser, signHs256Jwt } from '../../src/identity/index.ts';
import { CONSISTENCY_SCHEMA, fingerprint, insertFiles, insertJobs } from '../checks/consistency-fixtures.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { runUntil } from '../support/source-states.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';
import { startQdrantServer, type TestQdrantServer } from '../support/servers/qdrant.ts';
import { startSftpgoServer, type TestSftpgoServer } from '../support/servers/sftpgo.ts';

const JWT_SECRET = 'health-family-test-secret-0123456789';
const TMDB_KEY_ENV = `VIGIL_TEST_TMDB_KEY_${process.pid}`;
// Sources run once at start-up and then only when a test asks (runNow), so every figure a test
// reads follows the change it just made.
const HOUR = 3_600_000;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function write(path: string, text: string): void {
  writeFileSync(path, text);
}

describe('001 health family against real sources', () => {
  let db: PrivateDatabase;
  let redis: PrivateProcess;
  let qdrant: TestQdrantServer;
  let sftpgo: TestSftpgoServer;
  let tmdb: TestHttpServer;
  let dir: string;
  let app: TestApp;
  let goodKey: string;
  let weakKey: string;
  let jwt: string;
  let sessionId: string;

  const paths = () => ({
    scripts: join(dir, 'scripts'),
    models: join(dir, 'models'),
    identities: join(dir, 'identities'),
    ffmpeg: join(dir, 'bin', 'ffmpeg'),
  });

  beforeAll(async () => {
    db = await createPrivateDatabase('vigil_h');
    await db.query(`${CONSISTENCY_SCHEMA}; CREATE TABLE identities (id serial PRIMARY KEY, name text NOT NULL)`);
    await db.query(`INSERT INTO identities (name) VALUES ('ada'), ('grace'), ('linus')`);

    dir = mkdtempSync(join(tmpdir(), 'vigil-health-'));
    const p = paths();
    for (const sub of [p.scripts, join(p.scripts, 'asr'), join(p.scripts, 'yolo'), p.models, p.identities, join(dir, 'bin')]) {
      mkdirSync(sub, { recursive: true });
    }
    write(join(p.scripts, 'asr.py'), 'print("asr")\n');
    write(join(p.scripts, 'yolo.py'), 'print("yolo")\n');
    write(join(p.scripts, 'README.txt'), 'not a script\n');
    write(join(p.scripts, 'SHA256SUMS'), `${sha256('print("asr")\n')}  asr.py\n${sha256('print("yolo")\n')}  yolo.py\n`);
    write(join(p.models, 'face.onnx'), 'model');
    write(join(p.models, 'pose.onnx'), 'model');
    for (const name of ['ada', 'grace', 'linus']) write(join(p.identities, `${name}.jpg`), name);
    write(join(p.identities, 'index.json'), '{}');
    write(p.ffmpeg, '#!/bin/sh\n');
    chmodSync(p.ffmpeg, 0o755);

    [redis, qdrant, sftpgo, tmdb] = await Promise.all([
      startRedis(),
      startQdrantServer({ collections: ['faces'] }),
      startSftpgoServer(),
      startHttpServer({ answer: { status: 200, body: '{"images":{}}', contentType: 'application/json' } }),
    ]);
    process.env[TMDB_KEY_ENV] = 'tmdb-key-not-shown';

    const every = { intervalMs: HOUR, timeoutMs: 3_000 };
    app = await startTestApp({
      config: {
        auth: { jwt: { secret: JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined, roleClaim: 'role' } },
        families: {
          health: {
            services: ['app-db', 'cache', 'vectors'],
            resources: 'host',
            pipeline: { scripts: 'scripts-dir', models: 'models-dir', ffmpeg: p.ffmpeg },
            identities: { directory: 'identities-dir', count: 'identities-count' },
            consistency: 'app-consistency',
            sftpgo: 'sftpgo',
            config: { cache: true, auto_pipeline: false, watcher: true },
            integrations: { tmdb: { source: 'tmdb-api', api_key: { env: TMDB_KEY_ENV } } },
          },
        },
      },
      sources: [
        { name: 'app-db', kind: 'postgres', url: db.url, ...every },
        { name: 'cache', kind: 'redis', url: `redis://127.0.0.1:${redis.port}`, ...every },
        { name: 'vectors', kind: 'qdrant', url: qdrant.url, ...every },
        { name: 'host', kind: 'resources', ...every },
        {
          name: 'scripts-dir',
          kind: 'filesystem',
          path: p.scripts,
          pattern: '*.py',
          entries: ['asr', 'yolo'],
          manifest: 'SHA256SUMS',
          executables: [p.ffmpeg],
          ...every,
        },
        { name: 'models-dir', kind: 'filesystem', path: p.models, pattern: '*.onnx', ...every },
        { name: 'identities-dir', kind: 'filesystem', path: p.identities, pattern: '*.jpg', entries: ['index.json'], ...every },
        { name: 'identities-count', kind: 'postgres', url: db.url, query: 'SELECT count(*) AS count FROM identities', ...every },
        { name: 'app-consistency', kind: 'consistency', url: db.url, ...every },
        { name: 'sftpgo', kind: 'http', url: `${sftpgo.url}/api/v2/status`, ...every },
        { name: 'tmdb-api', kind: 'http', url: tmdb.url, ...every },
      ],
    });

    const store = app.deps.store;
    goodKey = (await createApiKey(store, { name: 'health-reader', role: 'viewer', scopes: ['health:read'] })).key;
    weakKey = (await createApiKey(store, { name: 'status-reader', role: 'viewer', scopes: ['status:read'] })).key;
    jwt = await signHs256Jwt({ secret: JWT_SECRET, role: 'viewer', claims: { sub: 'jwt-user' }, roleClaim: 'role' });
    await createUser(store, { username: 'viewer-user', password: 'a long enough password', role: 'viewer' });
    const login = await app.deps.identity.login('viewer-user', 'a long enough password', '127.0.0.1');
    if (!login) throw new Error('login failed');
    sessionId = login.sessionId;
  });

  afterAll(async () => {
    delete process.env[TMDB_KEY_ENV];
    await app?.close();
    await Promise.all([redis?.stop(), qdrant?.close(), sftpgo?.close(), tmdb?.close(), db?.drop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const asViewer = () => ({ client: app.client, headers: { 'X-API-Key': goodKey } });
  const run = (source: string) => app.deps.engine.runNow(source);

  it('GET /health answers ok with the build facts and a measured uptime when every service is up', async () => {
    const build = readBuildInfo();
    const { response, data } = await getHealth({ client: app.client });
    expect(response.status).toBe(200);
    expect(data).toEqual({
      status: 'ok',
      version: build.version,
      build_git_hash: build.gitHash,
      build_timestamp: build.buildTimestamp,
      uptime_ms: expect.any(Number),
    });
    const first = data?.uptime_ms ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 30));
    const again = await getHealth({ client: app.client });
    expect(again.data?.uptime_ms).toBeGreaterThan(first);
  });

  describe.each([
    ['GET /health/detailed', getHealthDetailed],
    ['GET /health/consistency', getHealthConsistency],
  ] as const)('%s authentication', (_title, call) => {
    it.each<[string, number, string | undefined, () => Record<string, string>]>([
      ['no credential', 401, 'unauthorized', () => ({})],
      ['an unknown API key', 401, 'unauthorized', () => ({ 'X-API-Key': 'vgl_unknown_0000000000000000' })],
      ['an API key without health:read', 403, 'forbidden', () => ({ 'X-API-Key': weakKey })],
      ['an API key with health:read', 200, undefined, () => ({ 'X-API-Key': goodKey })],
      ['a viewer JWT', 200, undefined, () => ({ Authorization: `Bearer ${jwt}` })],
      ['a JWT with a wrong signature', 401, 'unauthorized', () => ({ Authorization: `Bearer ${jwt.slice(0, -4)}AAAA` })],
      ['a session cookie', 200, undefined, () => ({ Cookie: `psession=${sessionId}` })],
    ])('with %s answers %i', async (_name, status, code, headers) => {
      const { response, error } = await call({ client: app.client, headers: headers() });
      expect(response.status).toBe(status);
      if (code) expect(error).toEqual({ status: 'error', error: expect.any(String), code });
    });
  });

  it('GET /health/detailed reports every block from the real sources', async () => {
    const { response, data } = await getHealthDetailed(asViewer());
    expect(response.status).toBe(200);
    expect(data).toMatchObject({
      status: 'ok',
      version: readBuildInfo().version,
      pipeline: {
        scripts_ready: true,
        scripts_count: 2,
        processors: { asr: true, yolo: true },
        models_ready: true,
        models_count: 2,
        scripts_integrity: { matched: 2, total: 2, ok: true },
        ffmpeg: true,
      },
      schema: { table_exists: true, required: [], ok: true },
      identities: { directory_exists: true, files_count: 3, index_ok: true, db_count: 3, synced: true },
      config: { cache: true, auto_pipeline: false, watcher: true },
      integrations: { tmdb: { api_key_configured: true, enabled: true, api_reachable: true } },
    });
    expect(Object.keys(data?.services ?? {})).toEqual(['app-db', 'cache', 'vectors']);
    for (const service of Object.values(data?.services ?? {})) {
      expect(service.status).toBe('ok');
      expect(Number.isInteger(service.latency_ms)).toBe(true);
    }
    expect(data?.schema.applied.length).toBeGreaterThan(0);
    expect(data?.resources?.memory_available_mb).toBeGreaterThan(0);
    expect(data?.resources?.memory_used_percent).toBeGreaterThan(0);
    expect(JSON.stringify(data)).not.toContain('tmdb-key-not-shown');
    expect(app.logs().join('\n')).not.toContain('tmdb-key-not-shown');
  });

  it('GET /health/detailed follows the world: scripts, integrity, identities', async () => {
    const p = paths();
    write(join(p.scripts, 'ocr.py'), 'print("ocr")\n');
    write(join(p.scripts, 'asr.py'), 'print("tampered")\n');
    await db.query(`INSERT INTO identities (name) VALUES ('margaret')`);
    await Promise.all([run('scripts-dir'), run('identities-count')]);

    let { data } = await getHealthDetailed(asViewer());
    expect(data?.pipeline?.scripts_count).toBe(3);
    // 001: total counts the scripts present (= scripts_count); the unlisted ocr.py is unmatched.
    expect(data?.pipeline?.scripts_integrity).toEqual({ matched: 1, total: 3, ok: false });
    expect(data?.identities).toMatchObject({ files_count: 3, db_count: 4, synced: false });

    write(join(p.identities, 'margaret.jpg'), 'margaret');
    rmSync(join(p.identities, 'index.json'));
    await run('identities-dir');
    ({ data } = await getHealthDetailed(asViewer()));
    expect(data?.identities).toEqual({ directory_exists: true, files_count: 4, index_ok: false, db_count: 4, synced: true });
  });

  it('GET /health/consistency reports the documented checks, follows a stale row, and writes nothing', async () => {
    let { response, data } = await getHealthConsistency(asViewer());
    expect(response.status).toBe(200);
    expect(data?.status).toBe('ok');
    expect(data?.checks.map((c) => [c.check, c.severity, c.count])).toEqual([
      ['stale_processing', 'warn', 0],
      ['orphaned_processing', 'warn', 0],
      ['processing_job_done', 'warn', 0],
      ['unregistered_with_uuid', 'info', 0],
    ]);

    await insertJobs(db, [[7, 'completed']]);
    await insertFiles(db, [
      { uuid: 'f-stale', name: 'video.mp4', status: 'processing', jobId: null },
      { uuid: 'f-done', name: 'done.mp4', status: 'processing', jobId: 7 },
    ]);
    const before = await fingerprint(db);
    const result = await run('app-consistency');
    expect(result.status).toBe('degraded');
    expect(await fingerprint(db)).toEqual(before);

    ({ response, data } = await getHealthConsistency(asViewer()));
    expect(response.status).toBe(200);
    expect(data?.status).toBe('degraded');
    expect(data?.checked_at).toBe(result.timestamp);
    const stale = data?.checks.find((c) => c.check === 'stale_processing');
    expect(stale).toEqual({
      check: 'stale_processing',
      severity: 'warn',
      count: 1,
      files: [{ file_name: 'video.mp4', file_uuid: 'f-stale', status: 'processing', detail: 'job_id is null' }],
    });
    expect(data?.checks.find((c) => c.check === 'processing_job_done')?.count).toBe(1);
  });

  it('GET /health/consistency never reaches the database per request: only the engine\'s scans do', async () => {
    // Every scan ends with ROLLBACK on its own connection; the other sources on this database
    // never roll back. The scan's connection flushes its statistics when it closes.
    const rollbacks = async (): Promise<number> => {
      const [row] = await db.query<{ n: number }>('SELECT xact_rollback::int AS n FROM pg_stat_database WHERE datname = current_database()');
      return row?.n ?? -1;
    };
    const before = await rollbacks();
    const answers = await Promise.all(Array.from({ length: 50 }, () => getHealthConsistency(asViewer())));
    expect(answers.every((a) => a.response.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.data?.checked_at)).size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await rollbacks()).toBe(before);

    // The measure does count scans: one engine run is one more rollback.
    await run('app-consistency');
    const deadline = Date.now() + 5_000;
    while ((await rollbacks()) === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await rollbacks()).toBe(before + 1);
  });

  it('GET /api/v1/stats/sftpgo is public and follows SFTPGo: up, data provider down, unreachable', async () => {
    let { response, data } = await getSftpgoStats({ client: app.client });
    expect(response.status).toBe(200);
    expect(data).toEqual({
      status: 'ok',
      latency_ms: expect.any(Number),
      checked_at: expect.any(String),
      services: {
        ssh: { is_active: true },
        ftp: { is_active: false },
        webdav: { is_active: false },
        defender: { is_active: false },
        mfa: { is_active: true },
        allow_list: { is_active: false },
        rate_limiters: { is_active: false },
      },
      data_provider: { is_active: true },
    });

    sftpgo.setStatus({ dataProvider: false, webdav: true });
    await run('sftpgo');
    ({ response, data } = await getSftpgoStats({ client: app.client }));
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ status: 'degraded', services: { webdav: { is_active: true } }, data_provider: { is_active: false } });
    expect(JSON.stringify(data)).not.toMatch(/database is locked|sqlite|2022/);

    await sftpgo.close();
    await runUntil(app.deps.engine, 'sftpgo', (r) => r.status === 'error');
    ({ response, data } = await getSftpgoStats({ client: app.client }));
    expect(response.status).toBe(200);
    expect(data).toEqual({ status: 'error', latency_ms: expect.any(Number), checked_at: expect.any(String), services: null, data_provider: null });
    expect(JSON.stringify(data)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it('one dependency down degrades /health and /health/detailed and both still answer 200', async () => {
    await redis.kill();
    try {
      await runUntil(app.deps.engine, 'cache', (r) => r.status === 'error' || r.status === 'timeout');
      const basic = await getHealth({ client: app.client });
      expect(basic.response.status).toBe(200);
      expect(basic.data?.status).toBe('degraded');
      expect(JSON.stringify(basic.data)).not.toMatch(/redis|cache|ECONNREFUSED/i);

      const detailed = await getHealthDetailed(asViewer());
      expect(detailed.response.status).toBe(200);
      expect(detailed.data?.status).toBe('degraded');
      expect(detailed.data?.services.cache?.status).toBe('error');
      expect(detailed.data?.services['app-db']?.status).toBe('ok');
    } finally {
      await redis.restart();
    }
    await runUntil(app.deps.engine, 'cache', (r) => r.status === 'ok');
    expect((await getHealth({ client: app.client })).data?.status).toBe('ok');
  });
});

describe('001 health family without its optional sources', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ config: { families: {} } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('reports ok with no services, null blocks, and 503 where there is nothing to report', async () => {
    const key = (await createApiKey(app.deps.store, { name: 'reader', role: 'viewer', scopes: ['health:read'] })).key;
    const headers = { 'X-API-Key': key };
    expect((await getHealth({ client: app.client })).data?.status).toBe('ok');

    const detailed = await getHealthDetailed({ client: app.client, headers });
    expect(detailed.data).toMatchObject({ status: 'ok', services: {}, resources: null, pipeline: null, identities: null, config: {}, integrations: {} });

    const consistency = await getHealthConsistency({ client: app.client, headers });
    expect(consistency.response.status).toBe(503);
    expect(consistency.error).toEqual({ status: 'error', error: expect.stringContaining('no consistency source'), code: 'unavailable' });

    const sftpgo = await getSftpgoStats({ client: app.client });
    expect(sftpgo.response.status).toBe(503);
    expect(sftpgo.error).toEqual({ status: 'error', error: expect.stringContaining('no SFTPGo source'), code: 'unavailable' });
  });
});
