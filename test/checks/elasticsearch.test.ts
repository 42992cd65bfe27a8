import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchCheck } from '../../src/checks/elasticsearch.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { startElasticsearchServer, type TestElasticsearchServer } from '../support/servers/elasticsearch.ts';
import { startHttpServer } from '../support/servers/http.ts';
import { startSilentTcpServer } from '../support/servers/silent-tcp.ts';
import { sourceDefinition } from '../support/source-states.ts';

const esSource = checkSources('search', 'elasticsearch', createElasticsearchCheck);

describe('the elasticsearch check', () => {
  let server: TestElasticsearchServer;
  beforeAll(async () => {
    server = await startElasticsearchServer({ clusterName: 'logs', basicAuth: { username: 'elastic', password: 'es-pass-9731' } });
  });
  afterAll(() => server.close());

  it('maps green to ok, yellow to degraded and red to error, with the cluster figures each time', async () => {
    const { run } = esSource({ url: server.url, username: 'elastic', password: 'es-pass-9731' });

    server.setStatus('green');
    const green = await run();
    expect(green.status).toBe('ok');
    expect(green.details).toEqual({ cluster_name: 'logs', cluster_status: 'green', number_of_nodes: 3, active_shards: 10, unassigned_shards: 0 });

    server.setStatus('yellow');
    const yellow = await run();
    expect(yellow.status).toBe('degraded');
    expect(yellow.error).toBe('elasticsearch: cluster "logs" is yellow (5 unassigned replica shards)');
    expect(yellow.details).toMatchObject({ cluster_status: 'yellow', active_shards: 5, unassigned_shards: 5 });

    server.setStatus('red');
    const red = await run();
    expect(red.status).toBe('error');
    expect(red.error).toContain('elasticsearch: cluster "logs" is red');
    expect(red.details).toMatchObject({ cluster_status: 'red', unassigned_shards: 7 });

    server.setStatus('green');
    expect((await run()).status).toBe('ok');
  });

  it('takes the credentials from the URL too, and never shows them', async () => {
    const result = await esSource({ url: server.url.replace('http://', 'http://elastic:es-pass-9731@') }).run();
    expect(result.status).toBe('ok');
    expect(JSON.stringify(result)).not.toContain('es-pass-9731');
  });

  it('reports a wrong password as error without the password', async () => {
    const result = await esSource({ url: server.url, username: 'elastic', password: 'wrong-pass-4242' }).run();
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/^elasticsearch: cluster health failed at http:\/\/127\.0\.0\.1:\d+\/: .*security_exception/);
    expect(JSON.stringify(result)).not.toContain('wrong-pass-4242');
  });

  it('sends an API key as Authorization: ApiKey', async () => {
    const keyed = await startElasticsearchServer({ apiKey: 'a2V5OnNlY3JldA==' });
    try {
      expect((await esSource({ url: keyed.url, api_key: 'a2V5OnNlY3JldA==' }).run()).status).toBe('ok');
      const refused = await esSource({ url: keyed.url, api_key: 'bm9wZTpub3Bl' }).run();
      expect(refused.status).toBe('error');
      expect(JSON.stringify(refused)).not.toContain('bm9wZTpub3Bl');
    } finally {
      await keyed.close();
    }
  });

  it('refuses a server that is not Elasticsearch (no X-Elastic-Product header)', async () => {
    const impostor = await startHttpServer({ answer: { contentType: 'application/json', body: '{"status":"green"}' } });
    try {
      const result = await esSource({ url: impostor.url }).run();
      expect(result.status).toBe('error');
      expect(result.error).toMatch(/not Elasticsearch|unknown product/i);
    } finally {
      await impostor.close();
    }
  });

  it('times out against a listener that never answers and leaves no socket open', async () => {
    const silent = await startSilentTcpServer();
    try {
      const started = performance.now();
      const result = await esSource({ url: silent.url }, 300).run();
      expect(result.status).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(300 + 250);
      await expect.poll(() => silent.open(), { timeout: 2_000 }).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('answers again with a rebuilt client once a stuck cluster recovers', async () => {
    const stuck = await startElasticsearchServer();
    try {
      const { run } = esSource({ url: stuck.url }, 300);
      stuck.setDelayMs(5_000);
      expect((await run()).status).toBe('timeout');
      stuck.setDelayMs(0);
      const after = await run();
      expect(after.status).toBe('ok');
      expect(stuck.healthRequests()).toBe(2);
    } finally {
      await stuck.close();
    }
  });

  it.each([
    [{}, 'option "url" must be set'],
    [{ url: 'es.local:9200' }, 'option "url" must be a URL starting with http:// or https://'],
    [{ url: 'http://127.0.0.1:9200', api_key: 'k', password: 'p' }, 'set either "api_key" or "username"/"password", not both'],
  ])('refuses the options %j', (options, message) => {
    const definition = { ...sourceDefinition('search', 'elasticsearch'), options };
    expect(() => createElasticsearchCheck(definition)).toThrow(CheckConfigError);
    expect(() => createElasticsearchCheck(definition)).toThrow(message);
  });
});
