import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCheck, parseInfo } from '../../src/checks/redis.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { sourceDefinition } from '../support/source-states.ts';

const SHARED_REDIS_URL = process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const redisSource = checkSources('cache', 'redis', createRedisCheck);

describe('the redis check', () => {
  let server: PrivateProcess;
  let admin: Redis;
  beforeAll(async () => {
    // Exact figures (keys, hit rate, clients) need a server nobody else uses.
    server = await startRedis();
    admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('reports PING latency and the INFO figures as measured on the server', async () => {
    await admin.mset('a', '1', 'b', '2', 'c', '3');
    await admin.select(1);
    await admin.mset('d', '4', 'e', '5');
    await admin.select(0);
    await admin.get('a');
    await admin.get('b');
    await admin.get('missing');

    const { run } = redisSource({ url: `redis://127.0.0.1:${server.port}` });
    const result = await run();
    const after = parseInfo(await admin.info());

    expect(result.status).toBe('ok');
    expect(result.details).toMatchObject({
      server_version: after.get('redis_version'),
      total_keys: 5,
      connected_clients: 2,
      evicted_keys: 0,
      hit_rate: 66.67,
    });
    const details: Readonly<Record<string, number | string | undefined>> = { ...result.details };
    expect(details['ping_latency_ms']).toBeGreaterThan(0);
    expect(details['ping_latency_ms']).toBeLessThanOrEqual(result.latencyMs);
    expect(details['uptime_seconds']).toBe(Number(after.get('uptime_in_seconds')));
    // Measured just before the admin's INFO, which itself is one more command.
    expect(details['total_commands_processed']).toBeGreaterThan(8);
    expect(details['total_commands_processed']).toBeLessThan(Number(after.get('total_commands_processed')));
    expect(Math.abs(Number(details['memory_usage_bytes']) - Number(after.get('used_memory')))).toBeLessThan(1_000_000);
  });

  it('keeps one connection across probes and uses the database named in the URL', async () => {
    const { run } = redisSource({ url: `redis://127.0.0.1:${server.port}/3` });
    expect((await run()).status).toBe('ok');
    expect((await run()).status).toBe('ok');
    const clients = String(await admin.client('LIST'))
      .split('\n')
      .filter((line) => line.includes('name=vigil'));
    expect(clients).toHaveLength(1);
    expect(clients[0]).toContain(' db=3 ');
  });

  it('closes its connection on close(), and close() twice is harmless', async () => {
    const { check, run } = redisSource({ host: '127.0.0.1', port: server.port });
    expect((await run()).status).toBe('ok');
    await check.close();
    await check.close();
    await expect.poll(async () => String(await admin.client('LIST')).includes('name=vigil'), { timeout: 5_000 }).toBe(false);
  });

  it('answers ok against the shared server too', async () => {
    const { run } = redisSource({ url: SHARED_REDIS_URL });
    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details?.['server_version']).toMatch(/^\d+\.\d+/);
  });

  it.each([
    ['an unparseable URL', { url: 'redis//nope' }, 'option "url" must be a valid URL'],
    ['a URL of another scheme', { url: 'http://127.0.0.1:6379' }, 'option "url" must be a URL starting with redis://'],
    ['a URL whose path is not a database number', { url: 'redis://127.0.0.1:6379/cache' }, 'option "url" must end with a database number'],
    ['neither url nor host', { password: 'x' }, 'option "url" (or "host") must be set'],
    ['a negative db', { host: '127.0.0.1', db: -1 }, 'option "db" must be a whole number'],
  ])('refuses %s with a CheckConfigError naming the key', (_case, options, message) => {
    const definition = { ...sourceDefinition('cache', 'redis'), options };
    expect(() => createRedisCheck(definition)).toThrow(CheckConfigError);
    expect(() => createRedisCheck(definition)).toThrow(message);
  });
});
