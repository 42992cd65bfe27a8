// 003 `GET /health/status` end to end through the generated client against the real app,
// engine and identity; NATS JetStream (a stream, a KV bucket of job records and a dead-letter
// stream with random names) and Redis on loopback.
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealthStatus } from '../../generated/sdk.gen.ts';
import type { SystemStatus } from '../../generated/types.gen.ts';
import { createApiKey, revokeApiKey } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { ON_DEMAND, runUntil, runUntilOk } from '../support/source-states.ts';

const NATS_URL = 'nats://127.0.0.1:4222';
const REDIS_PASSWORD = 'status-redis-pw-5be21f';
const suffix = randomBytes(4).toString('hex');
const STREAM = `VIGIL_T_JOBS_${suffix}`;
const DLQ = `VIGIL_T_DLQ_${suffix}`;
const BUCKET = `vigil_t_jobs_${suffix}`;
const SUBJECT = `vigil.t.${suffix}.jobs`;
const DLQ_SUBJECT = `vigil.t.${suffix}.dlq`;

describe('GET /health/status', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let kv: KV;
  let core: PrivateProcess;
  let app: TestApp;
  const keys: Record<string, string> = {};
  const startedAt = new Date(Date.now() - (2 * 3600 + 30 * 60) * 1000);

  async function publish(subject: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) await js.publish(subject, `message ${i}`);
  }

  async function putJobs(jobs: Record<string, string>): Promise<void> {
    for (const [id, status] of Object.entries(jobs)) await kv.put(id, JSON.stringify({ id, status }));
  }

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, timeout: 5_000 });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: STREAM, subjects: [SUBJECT] });
    await jsm.streams.add({ name: DLQ, subjects: [DLQ_SUBJECT] });
    await jsm.consumers.add(STREAM, { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
    kv = await new Kvm(nc).create(BUCKET);
    await publish(SUBJECT, 5);
    await publish(DLQ_SUBJECT, 2);
    await putJobs({ j1: 'pending', j2: 'pending', j3: 'queued', j4: 'processing', j5: 'completed', j6: 'done', j7: 'failed', j8: 'archived' });

    core = await startRedis({ password: REDIS_PASSWORD });
    const closedPort = await freePort();
    app = await startTestApp({
      startedAt,
      sources: [
        {
          name: 'events',
          kind: 'nats',
          url: NATS_URL,
          streams: [STREAM, DLQ],
          kv_buckets: [BUCKET],
          jobs: { bucket: BUCKET, dlq_stream: DLQ },
          ...ON_DEMAND,
        },
        { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', ...ON_DEMAND },
        { name: 'core', kind: 'redis', url: `redis://:${REDIS_PASSWORD}@127.0.0.1:${core.port}`, ...ON_DEMAND },
        // Down all along, but not a listed component: it must not turn the answer into a 503.
        { name: 'unlisted', kind: 'redis', url: `redis://127.0.0.1:${closedPort}`, ...ON_DEMAND },
      ],
      config: { families: { status: { nats: 'events', components: ['events', 'cache', 'core'] } } },
    });
    await runUntilOk(app.deps.engine, ['events', 'cache', 'core']);
    const { store } = app.deps;
    keys.scoped = (await createApiKey(store, { name: 'status', scopes: ['status:read'] })).key;
    keys.wildcard = (await createApiKey(store, { name: 'all', scopes: ['*'] })).key;
    keys.otherScope = (await createApiKey(store, { name: 'health', scopes: ['health:read'] })).key;
    keys.admin = (await createApiKey(store, { name: 'ops', admin: true })).key;
    const revoked = await createApiKey(store, { name: 'old', scopes: ['status:read'] });
    await revokeApiKey(store, revoked.id);
    keys.revoked = revoked.key;
    keys.unknown = `vgl_aaaaaaaaaaaa_${'0'.repeat(64)}`;
  });

  afterAll(async () => {
    await app?.close();
    await core?.stop();
    if (jsm) {
      for (const stream of [STREAM, DLQ, `KV_${BUCKET}`]) await jsm.streams.delete(stream).catch(() => undefined);
    }
    await nc?.close();
  });

  async function status(key = keys.scoped): Promise<{ code: number; body: SystemStatus }> {
    const { response, data, error } = await getHealthStatus({ client: app.client, headers: { 'X-API-Key': key ?? '' } });
    const body = (data ?? error) as SystemStatus;
    return { code: response.status, body };
  }

  it.each([
    ['no key', undefined, 401],
    ['an unknown key', 'unknown', 401],
    ['a revoked key', 'revoked', 401],
    ['a key without the status:read scope', 'otherScope', 403],
    // An admin API key reads whatever a viewer reads (11.12): it holds every read scope.
    ['an admin key without the status:read scope', 'admin', 200],
    ['a key with the status:read scope', 'scoped', 200],
    ['a key with every scope', 'wildcard', 200],
  ])('answers %s (%s) with %d', async (_label, key, expected) => {
    const headers = key === undefined ? {} : { 'X-API-Key': keys[key] ?? '' };
    const { response, error } = await getHealthStatus({ client: app.client, headers });
    expect(response.status).toBe(expected);
    if (expected !== 200) expect(error).toEqual({ error: expect.any(String), details: expect.any(String), code: expected });
  });

  it('answers 200 with every listed component healthy, in order, and only those', async () => {
    const { code, body } = await status();
    expect(code).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.components).toEqual({ events: { status: 'ok' }, cache: { status: 'ok' }, core: { status: 'ok' } });
    expect(Object.keys(body.components)).toEqual(['events', 'cache', 'core']);
  });

  it('gives the version and the uptime as a Go duration', async () => {
    const before = (Date.now() - startedAt.getTime()) / 1000;
    const { body } = await status();
    const after = (Date.now() - startedAt.getTime()) / 1000;
    expect(body.version).toBe(app.deps.build.version);
    const match = /^(\d+)h(\d+)m(?:(\d+)s)?$/.exec(body.uptime);
    if (!match) throw new Error(`uptime ${body.uptime} is not h/m/s`);
    const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(before));
    expect(seconds).toBeLessThanOrEqual(Math.ceil(after));
  });

  it('reports the NATS server, the streams, the KV bucket and the job counts as measured', async () => {
    const { body } = await status();
    expect(body.nats).toEqual({ url: NATS_URL, version: nc.info?.version });
    expect(body.streams).toEqual([
      { name: STREAM, messages: 5, bytes: expect.any(Number), consumers: 1 },
      { name: DLQ, messages: 2, bytes: expect.any(Number), consumers: 0 },
    ]);
    const streamInfo = await jsm.streams.info(STREAM);
    expect(body.streams?.[0]?.bytes).toBe(streamInfo.state.bytes);
    expect(body.kv_buckets).toEqual([{ name: BUCKET, keys: 8, bytes: (await kv.status()).size }]);
    expect(body.jobs).toEqual({ total: 8, unprocessed: 3, processing: 1, completed: 2, failed: 1, dlq: 2 });
  });

  it('follows the world: more messages, consumers, jobs and dead letters show up after the next check', async () => {
    await publish(SUBJECT, 3);
    await publish(DLQ_SUBJECT, 1);
    await jsm.consumers.add(STREAM, { durable_name: 'auditor', ack_policy: AckPolicy.None });
    await putJobs({ j1: 'processing', j9: 'completed', j10: 'error' });
    await runUntil(app.deps.engine, 'events', (result) => result.status === 'ok');

    const { body } = await status();
    expect(body.streams?.find((s) => s.name === STREAM)).toMatchObject({ messages: 8, consumers: 2 });
    expect(body.streams?.find((s) => s.name === DLQ)).toMatchObject({ messages: 3 });
    expect(body.kv_buckets?.[0]?.keys).toBe(10);
    expect(body.jobs).toEqual({ total: 10, unprocessed: 2, processing: 2, completed: 3, failed: 2, dlq: 3 });
  });

  it('answers 503 with the same body while a listed component is down, and 200 once it is back', async () => {
    await core.kill();
    await runUntil(app.deps.engine, 'core', (result) => result.status !== 'ok');
    try {
      const { code, body } = await status();
      expect(code).toBe(503);
      expect(body.status).toBe('unhealthy');
      expect(body.components.core?.status).toBe('unhealthy');
      expect(body.components.core?.error).toMatch(/^redis: /);
      expect(body.components.cache).toEqual({ status: 'ok' });
      expect(body.streams).toHaveLength(2);
      expect(JSON.stringify(body)).not.toContain(REDIS_PASSWORD);
    } finally {
      await core.restart();
      await runUntil(app.deps.engine, 'core', (result) => result.status === 'ok');
    }
    expect((await status()).code).toBe(200);
  });

  it('writes no secret in the logs', () => {
    const logs = app.logs().join('\n');
    expect(logs).not.toContain(REDIS_PASSWORD);
    for (const key of Object.values(keys)) expect(logs).not.toContain(key);
  });
});
