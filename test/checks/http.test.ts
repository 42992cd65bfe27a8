import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpCheck, parseJsonPath, readJsonPath } from '../../src/checks/http.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';
import { startSftpgoServer, type TestSftpgoServer } from '../support/servers/sftpgo.ts';
import { startSilentTcpServer } from '../support/servers/silent-tcp.ts';
import { createSelfSignedCertificate, type SelfSignedCertificate } from '../support/servers/tls.ts';
import { sourceDefinition } from '../support/source-states.ts';

const httpSource = checkSources('web', 'http', createHttpCheck);

describe('the http check over plain HTTP', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttpServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.answer({ status: 200, body: 'ok', contentType: 'text/plain', delayMs: 0 }));

  it('reports ok with the status code and no certificate for a 200', async () => {
    const result = await httpSource({ url: `${server.url}health?probe=1` }).run();
    expect(result.status).toBe('ok');
    expect(result.details).toEqual({ url: `${server.url}health`, status_code: 200, certificate_days_left: null });
  });

  it('follows the server from 200 to 503 and back', async () => {
    const { run } = httpSource({ url: server.url });
    expect((await run()).status).toBe('ok');
    server.answer({ status: 503, body: 'maintenance' });
    const failing = await run();
    expect(failing.status).toBe('error');
    expect(failing.error).toBe(`http: GET ${server.url} answered 503 (expected 2xx)`);
    expect(failing.details).toMatchObject({ status_code: 503 });
    server.answer({ status: 204, body: '' });
    expect((await run()).status).toBe('ok');
  });

  it.each([
    { expected: 503, answered: 503, status: 'ok' },
    { expected: [200, 301], answered: 301, status: 'ok' },
    { expected: [200, 301], answered: 302, status: 'error' },
    { expected: 200, answered: 201, status: 'error' },
  ])('with expected_status $expected, an answer of $answered is $status', async ({ expected, answered, status }) => {
    server.answer({ status: answered });
    expect((await httpSource({ url: server.url, expected_status: expected }).run()).status).toBe(status);
  });

  it('sends the configured method, headers and body', async () => {
    const before = server.requests.length;
    await httpSource({ url: server.url, method: 'post', headers: { 'x-probe': 'vigil' }, body: '{"ping":1}' }).run();
    const seen = server.requests[before];
    expect(seen).toMatchObject({ method: 'POST', body: '{"ping":1}' });
    expect(seen?.headers['x-probe']).toBe('vigil');
  });

  it('requires body_contains to appear in the body', async () => {
    server.answer({ body: 'status: all good' });
    const { run } = httpSource({ url: server.url, body_contains: 'all good' });
    expect((await run()).status).toBe('ok');
    server.answer({ body: 'status: on fire' });
    const failing = await run();
    expect(failing.status).toBe('error');
    expect(failing.error).toContain('does not contain "all good"');
  });

  it('keeps a small JSON body in the details and evaluates json_path with equals', async () => {
    server.answer({ contentType: 'application/json', body: JSON.stringify({ status: { ok: true }, items: [{ name: 'a' }] }) });
    const { run } = httpSource({ url: server.url, json_path: '$.status.ok', equals: true });
    const healthy = await run();
    expect(healthy.status).toBe('ok');
    expect(healthy.details?.json).toEqual({ status: { ok: true }, items: [{ name: 'a' }] });

    server.answer({ body: JSON.stringify({ status: { ok: false } }) });
    const failing = await run();
    expect(failing.status).toBe('error');
    expect(failing.error).toBe('http: $.status.ok is false (expected true)');
    expect(failing.details?.json).toEqual({ status: { ok: false } });
  });

  it('without equals, requires the json_path value to exist and not be false or null', async () => {
    server.answer({ contentType: 'application/json', body: '{"version":"1.2.3","broken":null}' });
    expect((await httpSource({ url: server.url, json_path: '$.version' }).run()).status).toBe('ok');
    expect((await httpSource({ url: server.url, json_path: '$.broken' }).run()).status).toBe('error');
    const missing = await httpSource({ url: server.url, json_path: '$.nothing.here' }).run();
    expect(missing.error).toBe('http: $.nothing.here is missing (expected a value other than false or null)');
  });

  it('drops a JSON body over 64 KiB from the details but still evaluates json_path on it', async () => {
    const big = { ok: 'yes', padding: 'x'.repeat(70 * 1024) };
    server.answer({ contentType: 'application/json', body: JSON.stringify(big) });
    const result = await httpSource({ url: server.url, json_path: '$.ok', equals: 'yes' }).run();
    expect(result.status).toBe('ok');
    expect(result.details).not.toHaveProperty('json');
  });

  it('reports a refused connection as error naming the URL', async () => {
    const gone = await startHttpServer();
    await gone.close();
    const result = await httpSource({ url: gone.url }).run();
    expect(result.status).toBe('error');
    expect(result.error).toMatch(new RegExp(`^http: GET ${gone.url} failed: .*ECONNREFUSED`));
  });

  it('keeps URL credentials out of the details and every message', async () => {
    server.answer({ status: 401, body: 'who are you' });
    const url = server.url.replace('http://', 'http://probe:hunter2-secret@');
    const result = await httpSource({ url }).run();
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('probe:hunter2-secret').toString('base64')}`);
    expect(result.status).toBe('error');
    expect(JSON.stringify(result)).not.toContain('hunter2-secret');
    expect(result.details?.url).toBe(server.url);
  });
});

describe('the http check over HTTPS', () => {
  let certificate: SelfSignedCertificate;
  let server: TestHttpServer;
  beforeAll(async () => {
    certificate = await createSelfSignedCertificate(30);
    server = await startHttpServer({ tls: certificate });
  });
  afterAll(async () => {
    await server.close();
    await certificate.cleanup();
  });

  it('reports the days left on the server certificate', async () => {
    const result = await httpSource({ url: server.url, ca_file: certificate.certFile }).run();
    expect(result.status).toBe('ok');
    const days = result.details?.certificate_days_left as number;
    expect(days).toBeGreaterThanOrEqual(29);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('is degraded when the certificate expires sooner than certificate_min_days', async () => {
    const result = await httpSource({ url: server.url, ca_file: certificate.certFile, certificate_min_days: 45 }).run();
    expect(result.status).toBe('degraded');
    expect(result.error).toMatch(/TLS certificate of .* expires in (29|30) days/);
  });

  it('refuses a certificate it cannot verify, unless tls_insecure is set', async () => {
    const strict = await httpSource({ url: server.url }).run();
    expect(strict.status).toBe('error');
    expect(strict.error).toMatch(/self[- ]signed certificate/i);
    const insecure = await httpSource({ url: server.url, tls_insecure: true }).run();
    expect(insecure.status).toBe('ok');
    expect(insecure.details?.certificate_days_left).toBeGreaterThanOrEqual(29);
  });
});

describe('the http check on SFTPGo', () => {
  let sftpgo: TestSftpgoServer;
  beforeAll(async () => {
    sftpgo = await startSftpgoServer();
  });
  afterAll(() => sftpgo.close());

  it('checks /healthz and follows it going unhealthy', async () => {
    const { run } = httpSource({ url: `${sftpgo.url}/healthz`, body_contains: 'ok' });
    expect((await run()).status).toBe('ok');
    sftpgo.setHealthy(false);
    expect((await run()).status).toBe('error');
    sftpgo.setHealthy(true);
  });

  it('reads the data provider from the status body and keeps the body in the details', async () => {
    const { run } = httpSource({ url: `${sftpgo.url}/api/v2/status`, json_path: '$.data_provider.is_active', equals: true });
    const healthy = await run();
    expect(healthy.status).toBe('ok');
    expect(healthy.details?.json).toMatchObject({ ssh: { is_active: true }, data_provider: { driver: 'sqlite' } });
    sftpgo.setStatus({ dataProvider: false });
    const failing = await run();
    expect(failing.status).toBe('error');
    expect(failing.error).toBe('http: $.data_provider.is_active is false (expected true)');
  });
});

describe('the http check against a server that never answers', () => {
  it('times out at the deadline and leaves no socket open', async () => {
    const silent = await startSilentTcpServer();
    try {
      const started = performance.now();
      const result = await httpSource({ url: silent.url }, 300).run();
      const elapsed = performance.now() - started;
      expect(result.status).toBe('timeout');
      expect(elapsed).toBeLessThan(300 + 250);
      await expect.poll(() => silent.open(), { timeout: 2_000 }).toBe(0);
      expect(silent.accepted()).toBe(1);
    } finally {
      await silent.close();
    }
  });
});

describe('probe connections', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** Counts connections; with `dropSecond`, resets a connection on its second request without answering. */
  async function countingServer(dropSecond: boolean): Promise<{ url: string; connections: () => number; answered: () => number }> {
    let connections = 0;
    let answered = 0;
    const served = new WeakMap<Socket, number>();
    const server = createServer((req, res) => {
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (dropSecond && count > 1) {
        req.socket.destroy();
        return;
      }
      answered += 1;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
      res.end('ok');
    });
    server.on('connection', () => (connections += 1));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, connections: () => connections, answered: () => answered };
  }

  it('are kept alive and shared by the sources of one origin', async () => {
    const target = await countingServer(false);
    const first = httpSource({ url: `${target.url}a` });
    const second = httpSource({ url: `${target.url}b` });
    for (let i = 0; i < 3; i += 1) {
      expect((await first.run()).status).toBe('ok');
      expect((await second.run()).status).toBe('ok');
    }
    expect(target.answered()).toBe(6);
    expect(target.connections()).toBe(1);
  });

  it('send a GET once more on a new connection when the server dropped the kept-alive one, and report ok', async () => {
    const target = await countingServer(true);
    const { run } = httpSource({ url: target.url });
    expect((await run()).status).toBe('ok');
    // The pooled connection is reset on this request: the probe still reaches the service.
    expect((await run()).status).toBe('ok');
    expect(target.connections()).toBe(2);
    expect(target.answered()).toBe(2);
  });

  it('never send a POST twice', async () => {
    const target = await countingServer(true);
    const { run } = httpSource({ url: target.url, method: 'POST', body: 'x' });
    expect((await run()).status).toBe('ok');
    const dropped = await run();
    expect(dropped.status).toBe('error');
    expect(target.connections()).toBe(1);
  });
});

describe('the http check configuration', () => {
  it.each([
    [{}, 'option "url" must be set'],
    [{ url: 'not a url' }, 'option "url" must be a valid URL'],
    [{ url: 'ftp://example.test/' }, 'option "url" must be a URL starting with http:// or https://'],
    [{ url: 'http://127.0.0.1/', method: 'BREW' }, 'option "method" must be one of'],
    [{ url: 'http://127.0.0.1/', expected_status: 'ok' }, 'option "expected_status" must be an HTTP status code'],
    [{ url: 'http://127.0.0.1/', json_path: 'status.ok' }, 'option "json_path" must look like'],
    [{ url: 'http://127.0.0.1/', equals: true }, 'option "equals" needs "json_path"'],
    [{ url: 'http://127.0.0.1/', headers: { a: 1 } }, 'option "headers" must be a map of names to strings'],
    [{ url: 'https://127.0.0.1/', ca_file: '/nonexistent/ca.pem' }, 'option "ca_file" must be the path of a readable file'],
  ])('refuses %j: %s', (options, message) => {
    const definition = { ...sourceDefinition('web', 'http'), options };
    expect(() => createHttpCheck(definition)).toThrow(CheckConfigError);
    expect(() => createHttpCheck(definition)).toThrow(message);
  });
});

describe('the tiny JSON path', () => {
  const document = { status: { ok: true }, items: [{ name: 'first' }, { name: 'second' }], 'a-b': 1 };
  it.each([
    ['$', document],
    ['$.status.ok', true],
    ['$.items[1].name', 'second'],
    ['$.items.0.name', 'first'],
    ['$.a-b', 1],
    ['$.status.missing', undefined],
    ['$.items[5].name', undefined],
  ])('%s reads %j', (path, value) => {
    const segments = parseJsonPath(path);
    expect(segments).toBeDefined();
    expect(readJsonPath(document, segments ?? [])).toEqual(value);
  });

  it.each(['status.ok', '$status', '$..ok', '$.items[x]'])('refuses %s', (path) => {
    expect(parseJsonPath(path)).toBeUndefined();
  });
});
