import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantCheck } from '../../src/checks/qdrant.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { startQdrantServer, type TestQdrantServer } from '../support/servers/qdrant.ts';
import { startSilentTcpServer } from '../support/servers/silent-tcp.ts';
import { sourceDefinition } from '../support/source-states.ts';

const qdrantSource = checkSources('vectors', 'qdrant', createQdrantCheck);

describe('the qdrant check', () => {
  let server: TestQdrantServer;
  beforeAll(async () => {
    server = await startQdrantServer({ apiKey: 'qd-key-5521', collections: ['faces', 'scenes'], version: '1.13.2' });
  });
  afterAll(() => server.close());

  it('reports readiness, the collection count and the version', async () => {
    const result = await qdrantSource({ url: server.url, api_key: 'qd-key-5521' }).run();
    expect(result.status).toBe('ok');
    expect(result.details).toEqual({ ready: true, collections_count: 2, version: '1.13.2' });
    expect(server.paths.slice(-3)).toEqual(expect.arrayContaining(['/readyz', '/collections', '/']));
  });

  it('follows collections being added and readiness being lost', async () => {
    const { run } = qdrantSource({ url: `${server.url}/`, api_key: 'qd-key-5521' });
    server.setCollections(['faces', 'scenes', 'ocr']);
    expect((await run()).details).toMatchObject({ collections_count: 3 });

    server.setReady(false);
    const notReady = await run();
    expect(notReady.status).toBe('error');
    expect(notReady.error).toBe(`qdrant: readiness failed at ${server.url}/: HTTP 503`);

    server.setReady(true);
    expect((await run()).status).toBe('ok');
  });

  it('reports a wrong API key as error without the key', async () => {
    const result = await qdrantSource({ url: server.url, api_key: 'wrong-key-7788' }).run();
    expect(result.status).toBe('error');
    expect(result.error).toBe(`qdrant: list collections failed at ${server.url}/: HTTP 401`);
    expect(JSON.stringify(result)).not.toContain('wrong-key-7788');
  });

  it('times out against a listener that never answers', async () => {
    const silent = await startSilentTcpServer();
    try {
      const started = performance.now();
      const result = await qdrantSource({ url: silent.url }, 300).run();
      expect(result.status).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(300 + 250);
      await expect.poll(() => silent.open(), { timeout: 2_000 }).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('refuses a source without a URL', () => {
    const definition = { ...sourceDefinition('vectors', 'qdrant'), options: {} };
    expect(() => createQdrantCheck(definition)).toThrow(CheckConfigError);
    expect(() => createQdrantCheck(definition)).toThrow('source "vectors" (qdrant): option "url" must be set');
  });
});
