import { randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsCheck } from '../../src/checks/nats.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { startNats, type PrivateProcess } from '../support/processes.ts';
import { sourceDefinition } from '../support/source-states.ts';

const SHARED_NATS_URL = process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

const natsSource = checkSources('bus', 'nats', createNatsCheck);

describe('the nats check', () => {
  const suffix = randomBytes(5).toString('hex');
  const stream = `VIGIL_EVENTS_${suffix}`;
  const dlq = `VIGIL_DLQ_${suffix}`;
  const bucket = `vigil_cache_${suffix}`;
  const jobsBucket = `vigil_jobs_${suffix}`;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let cache: KV;
  let jobs: KV;

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`vigil.events.${suffix}.>`] });
    await jsm.streams.add({ name: dlq, subjects: [`vigil.dlq.${suffix}`] });
    await jsm.consumers.add(stream, { durable_name: 'audit', ack_policy: 'explicit' });
    const js = jsm.jetstream();
    await js.publish(`vigil.events.${suffix}.created`, 'one');
    await js.publish(`vigil.events.${suffix}.updated`, 'two');
    await js.publish(`vigil.dlq.${suffix}`, 'poison');
    const kvm = new Kvm(js);
    cache = await kvm.create(bucket);
    await cache.put('a', '1');
    await cache.put('b', '2');
    await cache.put('c', '3');
    await cache.delete('c');
    jobs = await kvm.create(jobsBucket);
    const records: [string, string][] = [
      ['j1', JSON.stringify({ status: 'pending', file: 'a.mp4' })],
      ['j2', JSON.stringify({ status: 'queued' })],
      ['j3', JSON.stringify({ status: 'running' })],
      ['j4', JSON.stringify({ status: 'completed' })],
      ['j5', JSON.stringify({ status: 'done' })],
      ['j6', JSON.stringify({ status: 'DONE' })],
      ['j7', JSON.stringify({ status: 'error' })],
      ['j8', JSON.stringify({ status: 'archived' })],
    ];
    for (const [key, value] of records) await jobs.put(key, value);
  });
  afterAll(async () => {
    for (const name of [stream, dlq]) await jsm?.streams.delete(name).catch(() => undefined);
    await cache?.destroy().catch(() => undefined);
    await jobs?.destroy().catch(() => undefined);
    await nc?.close();
  });

  it('reports the server, the named streams and KV buckets with their measured figures', async () => {
    const { run } = natsSource({ url: SHARED_NATS_URL, streams: [stream], kv_buckets: [bucket] });
    const info = await jsm.streams.info(stream);
    const bucketInfo = await jsm.streams.info(`KV_${bucket}`);

    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details).toEqual({
      server_url: SHARED_NATS_URL,
      server_version: nc.info?.version,
      jetstream: true,
      streams: [{ name: stream, messages: 2, bytes: info.state.bytes, consumers: 1 }],
      // "c" was deleted: two keys remain.
      kv_buckets: [{ name: bucket, keys: 2, bytes: bucketInfo.state.bytes }],
    });

    await jsm.jetstream().publish(`vigil.events.${suffix}.deleted`, 'three');
    await cache.put('d', '4');
    const after = await run();
    expect(after.details?.['streams']).toMatchObject([{ name: stream, messages: 3 }]);
    expect(after.details?.['kv_buckets']).toMatchObject([{ name: bucket, keys: 3 }]);
  });

  it('leaves no consumer behind on the KV streams it reads, after 60 probes', async () => {
    // Fresh buckets of this test's own: a consumer on them can only be one the probes made.
    const kvm = new Kvm(jsm.jetstream());
    const keys = await kvm.create(`vigil_leak_keys_${suffix}`);
    const records = await kvm.create(`vigil_leak_jobs_${suffix}`);
    try {
      await keys.put('a', '1');
      await keys.put('b', '2');
      await keys.put('gone', '3');
      await keys.delete('gone');
      await records.put('j1', JSON.stringify({ status: 'pending' }));
      await records.put('j2', JSON.stringify({ status: 'done' }));
      await records.put('j3', JSON.stringify({ status: 'running' }));
      await records.purge('j3');
      const { run } = natsSource({
        url: SHARED_NATS_URL,
        streams: [stream],
        kv_buckets: [`vigil_leak_keys_${suffix}`, `vigil_leak_jobs_${suffix}`],
        jobs: { bucket: `vigil_leak_jobs_${suffix}` },
      });
      for (let probe = 0; probe < 60; probe += 1) {
        const result = await run();
        expect(result.status).toBe('ok');
        expect(result.details?.['kv_buckets']).toEqual([
          expect.objectContaining({ name: `vigil_leak_keys_${suffix}`, keys: 2 }),
          expect.objectContaining({ name: `vigil_leak_jobs_${suffix}`, keys: 2 }),
        ]);
        expect(result.details?.['jobs']).toEqual({ total: 2, unprocessed: 1, processing: 0, completed: 1, failed: 0, dlq: 0 });
      }
      for (const name of [`KV_vigil_leak_keys_${suffix}`, `KV_vigil_leak_jobs_${suffix}`]) {
        const consumers: string[] = [];
        for await (const consumer of jsm.consumers.list(name)) consumers.push(consumer.name);
        expect(consumers, `consumers on ${name}`).toEqual([]);
      }
    } finally {
      await keys.destroy().catch(() => undefined);
      await records.destroy().catch(() => undefined);
    }
  });

  it('lists every stream and bucket when none is named, buckets apart from streams', async () => {
    const { run } = natsSource({ url: SHARED_NATS_URL });
    const result = await run();
    expect(result.status).toBe('ok');
    const streams = result.details?.streams ?? [];
    const buckets = result.details?.kv_buckets ?? [];
    expect(streams.map((s) => s.name)).toEqual(expect.arrayContaining([stream, dlq]));
    expect(streams.map((s) => s.name)).not.toContain(`KV_${bucket}`);
    expect(buckets.map((b) => b.name)).toEqual(expect.arrayContaining([bucket, jobsBucket]));
  });

  it('counts job records by status and the dead-letter stream', async () => {
    const { run } = natsSource({ url: SHARED_NATS_URL, streams: [stream], kv_buckets: [jobsBucket], jobs: { bucket: jobsBucket, dlq_stream: dlq } });
    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details?.['jobs']).toEqual({ total: 8, unprocessed: 2, processing: 1, completed: 3, failed: 1, dlq: 1 });

    await jobs.put('j1', JSON.stringify({ status: 'processing' }));
    await jobs.delete('j8');
    await jsm.jetstream().publish(`vigil.dlq.${suffix}`, 'poison again');
    const after = await run();
    expect(after.details?.['jobs']).toEqual({ total: 7, unprocessed: 1, processing: 2, completed: 3, failed: 1, dlq: 2 });
  });

  it('reads the status from another field when told to', async () => {
    const bucketName = `vigil_state_${suffix}`;
    const kv = await new Kvm(jsm.jetstream()).create(bucketName);
    try {
      await kv.put('x', JSON.stringify({ state: 'failed' }));
      await kv.put('y', JSON.stringify({ state: 'running', status: 'completed' }));
      const { run } = natsSource({ url: SHARED_NATS_URL, streams: [stream], kv_buckets: [bucketName], jobs: { bucket: bucketName, status_field: 'state' } });
      expect((await run()).details?.['jobs']).toEqual({ total: 2, unprocessed: 0, processing: 1, completed: 0, failed: 1, dlq: 0 });
    } finally {
      await kv.destroy();
    }
  });

  it('reports a named stream, bucket or dead-letter stream that does not exist as degraded', async () => {
    const { run } = natsSource({
      url: SHARED_NATS_URL,
      streams: [stream, `NOPE_${suffix}`],
      kv_buckets: [`nope_${suffix}`],
      jobs: { bucket: jobsBucket, dlq_stream: `NODLQ_${suffix}` },
    });
    const result = await run();
    expect(result.status).toBe('degraded');
    expect(result.error).toBe(`nats: not found: stream "NOPE_${suffix}", KV bucket "nope_${suffix}", dead-letter stream "NODLQ_${suffix}"`);
    expect(result.details).toMatchObject({ streams: [{ name: stream }], kv_buckets: [], jobs: { dlq: 0 } });
  });

  it('goes error while its server is down and ok again once it is back on the same port', async () => {
    const server = await startNats();
    try {
      const { run } = natsSource({ url: `nats://127.0.0.1:${server.port}` });
      expect((await run()).status).toBe('ok');
      await server.kill();
      const down = await run();
      expect(down.status).toBe('error');
      expect(down.error).toMatch(/^nats: (connect|JetStream) failed: /);
      await server.restart();
      const back = await run();
      expect(back.status).toBe('ok');
      expect(back.details).toMatchObject({ server_url: `nats://127.0.0.1:${server.port}`, jetstream: true, streams: [], kv_buckets: [] });
    } finally {
      await server.stop();
    }
  });

  describe('against a private server without JetStream', () => {
    let server: PrivateProcess;
    beforeAll(async () => {
      server = await startNats({ jetstream: false });
    });
    afterAll(() => server?.stop());

    it('is ok with jetstream false when nothing JetStream-backed is asked for', async () => {
      const { run } = natsSource({ servers: [`nats://127.0.0.1:${server.port}`] });
      const result = await run();
      expect(result.status).toBe('ok');
      expect(result.details).toMatchObject({ server_url: `nats://127.0.0.1:${server.port}`, jetstream: false, streams: [], kv_buckets: [] });
    });

    it('is an error when streams are asked for', async () => {
      const { run } = natsSource({ url: `nats://127.0.0.1:${server.port}`, streams: ['EVENTS'] });
      const result = await run();
      expect(result.status).toBe('error');
      expect(result.error).toBe('nats: JetStream failed: not enabled on the server');
    });
  });

  it.each([
    ['an unparseable URL', { url: 'nats://[::1' }, 'option "url" must hold valid URLs'],
    ['a URL of another scheme', { url: 'http://127.0.0.1:4222' }, 'option "url" must hold URLs starting with nats:// or tls://'],
    ['neither url nor servers', { streams: ['A'] }, 'option "url" (or "servers") must be set'],
    ['both url and servers', { url: SHARED_NATS_URL, servers: [SHARED_NATS_URL] }, 'set either option "url" or option "servers"'],
    ['both a token and a password', { url: SHARED_NATS_URL, token: 'abc', password: 'def' }, 'set either option "token" or options "user"/"password"'],
    ['jobs that are not a map', { url: SHARED_NATS_URL, jobs: 'jobs' }, 'option "jobs" must be a map of settings'],
    ['jobs without a bucket', { url: SHARED_NATS_URL, jobs: { dlq_stream: 'DLQ' } }, 'option "jobs.bucket" must be set'],
    ['streams that are not a list', { url: SHARED_NATS_URL, streams: 'EVENTS' }, 'option "streams" must be a list of strings'],
  ])('refuses %s with a CheckConfigError naming the key', (_case, options, message) => {
    const definition = { ...sourceDefinition('bus', 'nats'), options };
    expect(() => createNatsCheck(definition)).toThrow(CheckConfigError);
    expect(() => createNatsCheck(definition)).toThrow(message);
  });
});
