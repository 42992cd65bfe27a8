import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitmqCheck } from '../../src/checks/rabbitmq.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { sourceDefinition } from '../support/source-states.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const SHARED_AMQP_URL = process.env.VIGIL_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const rabbitSource = checkSources('broker', 'rabbitmq', createRabbitmqCheck);

describe('the rabbitmq check', () => {
  const suffix = randomBytes(5).toString('hex');
  const backlog = `vigil.backlog.${suffix}`;
  const worked = `vigil.worked.${suffix}`;
  const missing = `vigil.missing.${suffix}`;
  let admin: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;
  let consumerChannel: amqp.Channel;

  beforeAll(async () => {
    admin = await amqp.connect(SHARED_AMQP_URL);
    channel = await admin.createConfirmChannel();
    await channel.assertQueue(backlog, { autoDelete: false, durable: false });
    await channel.assertQueue(worked, { autoDelete: false, durable: false });
    for (const body of ['one', 'two', 'three']) channel.sendToQueue(backlog, Buffer.from(body));
    await channel.waitForConfirms();
    consumerChannel = await admin.createChannel();
    await consumerChannel.consume(worked, () => undefined);
  });
  afterAll(async () => {
    await channel?.deleteQueue(backlog).catch(() => undefined);
    await channel?.deleteQueue(worked).catch(() => undefined);
    await admin?.close().catch(() => undefined);
  });

  it('opens a channel and reports the broker product, version and each queue with its figures', async () => {
    const { run } = rabbitSource({ url: SHARED_AMQP_URL, queues: [backlog, worked] });
    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details).toEqual({
      server_product: 'RabbitMQ',
      server_version: String(admin.connection.serverProperties.version),
      queues: [
        { name: backlog, exists: true, messages: 3, consumers: 0 },
        { name: worked, exists: true, messages: 0, consumers: 1 },
      ],
    });

    channel.sendToQueue(backlog, Buffer.from('four'));
    await channel.waitForConfirms();
    const after = await run();
    expect(after.details?.queues[0]?.messages).toBe(4);
  });

  it('reports a missing queue as degraded with exists false, and still measures the others', async () => {
    const { run } = rabbitSource({ url: SHARED_AMQP_URL, queues: [missing, worked] });
    const result = await run();
    expect(result.status).toBe('degraded');
    expect(result.error).toBe(`rabbitmq: queue "${missing}" does not exist`);
    expect(result.details?.['queues']).toEqual([
      { name: missing, exists: false, messages: null, consumers: null },
      { name: worked, exists: true, messages: 0, consumers: 1 },
    ]);
    // The channel the broker closed over the missing queue does not break the connection.
    expect((await run()).status).toBe('degraded');
  });

  it('takes host, port, user, password and vhost as fields', async () => {
    const { run } = rabbitSource({ host: '127.0.0.1', port: 5672, user: 'guest', password: 'guest', vhost: '/' });
    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details?.['queues']).toEqual([]);
  });

  it('keeps one connection across probes and rebuilds it when the connection drops', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5672 });
    try {
      const { run } = rabbitSource({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}` });
      expect((await run()).status).toBe('ok');
      expect((await run()).status).toBe('ok');
      expect(proxy.accepted()).toBe(1);

      await proxy.pause();
      // The first probe may still hold the dropped connection (its close event is on the way)
      // and fail on the channel; either way it fails, and the next one reconnects.
      const dropped = await run();
      expect(dropped.status).toBe('error');
      expect(dropped.error).toMatch(/^rabbitmq: (connect|channel open) failed: /);
      const refused = await run();
      expect(refused.status).toBe('error');
      expect(refused.error).toMatch(/^rabbitmq: connect failed: .*ECONNREFUSED/);

      await proxy.resume();
      expect((await run()).status).toBe('ok');
      expect(proxy.accepted()).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ['an unparseable URL', { url: 'amqp://[broken' }, 'option "url" must be a valid URL'],
    ['a URL of another scheme', { url: 'http://127.0.0.1:5672' }, 'option "url" must be a URL starting with amqp://'],
    ['neither url nor host', { queues: ['a'] }, 'option "url" (or "host") must be set'],
    ['queues that are not a list of names', { url: SHARED_AMQP_URL, queues: 'jobs' }, 'option "queues" must be a list of strings'],
  ])('refuses %s with a CheckConfigError naming the key', (_case, options, message) => {
    const definition = { ...sourceDefinition('broker', 'rabbitmq'), options };
    expect(() => createRabbitmqCheck(definition)).toThrow(CheckConfigError);
    expect(() => createRabbitmqCheck(definition)).toThrow(message);
  });
});
