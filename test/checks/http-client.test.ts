// The probes' HTTP/1.1 client against a TCP server that answers with exact bytes: framing by
// length, chunks and close, informational and bodiless answers, answers split at every byte,
// malformed ones, connection reuse, aborts. Valid answers are also read with node:http's own
// client, which must see the same status, type and body.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createProbePool, MAX_BODY_BYTES, prepareRequest, releaseProbePool, type ExchangeInput, type HttpResponse } from '../../src/checks/http-client.ts';

interface Scripted {
  readonly url: string;
  readonly requests: string[];
  connections(): number;
  open(): number;
  /** What the next requests are answered with: pieces written in turn, then the connection ended or not. */
  answer(pieces: readonly (string | Buffer)[], options?: { readonly end?: boolean; readonly bytewise?: boolean; readonly reset?: boolean }): void;
  close(): Promise<void>;
}

const servers: Scripted[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function scriptedServer(): Promise<Scripted> {
  let script: { pieces: readonly (string | Buffer)[]; end: boolean; bytewise: boolean; reset: boolean } = {
    pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    end: false,
    bytewise: false,
    reset: false,
  };
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', async (data) => {
      received += data.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      requests.push(received.slice(0, end + 4 + length));
      received = '';
      const { pieces, end: finish, bytewise, reset } = script;
      for (const piece of pieces) {
        const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece, 'latin1');
        if (!bytewise) socket.write(bytes);
        else {
          for (const byte of bytes) {
            socket.write(Buffer.of(byte));
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      }
      // A reset after what was written (RST instead of FIN), once the bytes have left.
      if (reset) setTimeout(() => socket.resetAndDestroy(), 20);
      else if (finish) socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scripted: Scripted = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    connections: () => connections,
    open: () => sockets.size,
    answer(pieces, options = {}) {
      script = { pieces, end: options.end ?? false, bytewise: options.bytewise ?? false, reset: options.reset ?? false };
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  servers.push(scripted);
  return scripted;
}

function requestOf(url: string, settings: { method?: string; headers?: Record<string, string>; body?: string } = {}): ExchangeInput['request'] {
  return prepareRequest({ url: new URL(url), ...settings });
}

const pools = new Map<Scripted, ReturnType<typeof createProbePool>>();
afterAll(() => {
  for (const pool of pools.values()) releaseProbePool(pool);
});

/** One request through the pool of `server`'s origin (kept for the test's later requests). */
async function probe(server: Scripted, options: { method?: string; jsonBodyOnly?: boolean; signal?: AbortSignal } = {}): Promise<HttpResponse> {
  let pool = pools.get(server);
  if (!pool) pools.set(server, (pool = createProbePool(new URL(server.url))));
  return pool.request({ request: requestOf(`${server.url}probe`, { method: options.method }), signal: options.signal ?? new AbortController().signal, jsonBodyOnly: options.jsonBodyOnly });
}

/** node:http's reading of the same answer. */
function nodeReads(server: Scripted, method = 'GET'): Promise<{ statusCode: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}probe`, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('latin1') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Answer {
  readonly name: string;
  readonly pieces: readonly string[];
  readonly end?: boolean;
  readonly method?: string;
}

const ANSWERS: readonly Answer[] = [
  { name: 'a Content-Length body', pieces: ['HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'] },
  { name: 'a head and body in pieces', pieces: ['HTTP/1.1 2', '01 Created\r\nConte', 'nt-Length: 5\r\n', '\r\nhel', 'lo'] },
  { name: 'a chunked body with extensions and trailers', pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\n'] },
  { name: 'an Early Hints answer before the answer', pieces: ['HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes'] },
  { name: 'a 204 without a body', pieces: ['HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n'] },
  { name: 'a 304 with a length but no body', pieces: ['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'] },
  { name: 'a body delimited by the end of the connection', pieces: ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'], end: true },
  { name: 'an HTTP/1.0 answer', pieces: ['HTTP/1.0 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown'], end: true },
  { name: 'a HEAD answer with a length and no body', pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n'], method: 'HEAD' },
  { name: 'a status line without a reason', pieces: ['HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n'] },
];

describe('the probe client reads', () => {
  it.each(ANSWERS)('$name as node:http does, whole and split at every byte', async ({ pieces, end, method }) => {
    const server = await scriptedServer();
    server.answer(pieces, { end });
    const expected = await nodeReads(server, method);
    for (const bytewise of [false, true]) {
      server.answer(pieces, { end, bytewise });
      const response = await probe(server, { method });
      expect({ statusCode: response.statusCode, contentType: response.contentType, body: response.body.toString('latin1') }).toEqual(expected);
      expect(response.certificateDaysLeft).toBeNull();
    }
  });
});

describe('the probe client refuses', () => {
  it.each([
    ['a status line that is not HTTP/1.x', ['ICY 200 OK\r\n\r\n'], /malformed HTTP response: status line "ICY 200 OK"/, false],
    ['two different lengths', ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'], /two different Content-Length/, false],
    ['a length that is not a number', ['HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok'], /Content-Length "2x"/, false],
    ['a header line without a colon', ['HTTP/1.1 200 OK\r\nbroken header\r\n\r\n'], /header line "broken header"/, false],
    ['a bad chunk size', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], /chunk size "zz"/, false],
    ['an upgrade nobody asked for', ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'], /101 Switching Protocols/, false],
    ['an answer cut short', ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'], /closed before the answer was complete/, true],
    ['a connection closed without an answer', [], /socket hang up/, true],
  ] as const)('%s, and closes the connection', async (_name, pieces, message, end) => {
    const server = await scriptedServer();
    // Without `end` the server keeps the connection open: only the client can have closed it.
    server.answer(pieces, { end });
    await expect(probe(server)).rejects.toThrow(message);
    await expect.poll(() => server.open(), { timeout: 2_000 }).toBe(0);
  });

  it('a body delimited by the end of the connection that a reset cuts short', async () => {
    const server = await scriptedServer();
    server.answer(['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart of it'], { reset: true });
    await expect(probe(server)).rejects.toThrow(/ECONNRESET/);
  });

  it('a head larger than 64 KiB', async () => {
    const server = await scriptedServer();
    server.answer([`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`]);
    await expect(probe(server)).rejects.toThrow(/head larger than 65536 bytes/);
    await expect.poll(() => server.open(), { timeout: 2_000 }).toBe(0);
  });
});

describe('the probe client keeps', () => {
  it('at most 1 MiB of a body, and does not wait for the rest', async () => {
    const server = await scriptedServer();
    const big = Buffer.alloc(MAX_BODY_BYTES + 4096, 'x');
    server.answer([`HTTP/1.1 200 OK\r\nContent-Length: ${big.length + 10_000_000}\r\n\r\n`, big]);
    const response = await probe(server);
    expect(response.body.length).toBe(MAX_BODY_BYTES);
    await expect.poll(() => server.open(), { timeout: 2_000 }).toBe(0);
  });

  it('nothing of a body that is not JSON when only JSON is wanted, and reuses the connection', async () => {
    const server = await scriptedServer();
    server.answer(['HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\n<p/>\n']);
    const pool = createProbePool(new URL(server.url));
    const request = requestOf(server.url);
    const signal = new AbortController().signal;
    const text = await pool.request({ request, signal, jsonBodyOnly: true });
    expect(text.body.length).toBe(0);
    server.answer(['HTTP/1.1 200 OK\r\nContent-Type: application/problem+json\r\nContent-Length: 2\r\n\r\n{}']);
    const json = await pool.request({ request, signal, jsonBodyOnly: true });
    expect(json.body.toString()).toBe('{}');
    expect(server.connections()).toBe(1);
    releaseProbePool(pool);
  });
});

describe('the probe client connections', () => {
  it('are reused after a complete answer and not after Connection: close or bytes past the answer', async () => {
    const server = await scriptedServer();
    const pool = createProbePool(new URL(server.url));
    const request = requestOf(server.url);
    const signal = new AbortController().signal;
    await pool.request({ request, signal });
    await pool.request({ request, signal });
    expect(server.connections()).toBe(1);
    server.answer(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok']);
    await pool.request({ request, signal });
    server.answer(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA']);
    await pool.request({ request, signal });
    server.answer(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);
    await pool.request({ request, signal });
    expect(server.connections()).toBe(3);
    releaseProbePool(pool);
    await expect.poll(() => server.open(), { timeout: 2_000 }).toBe(0);
  });

  it('that the server closed while unused are not used again', async () => {
    const server = await scriptedServer();
    server.answer(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'], { end: true });
    const pool = createProbePool(new URL(server.url));
    const request = requestOf(server.url);
    const signal = new AbortController().signal;
    expect((await pool.request({ request, signal })).statusCode).toBe(200);
    await expect.poll(() => server.open(), { timeout: 2_000 }).toBe(0);
    expect((await pool.request({ request, signal })).statusCode).toBe(200);
    expect(server.connections()).toBe(2);
    releaseProbePool(pool);
  });

  it('are destroyed at once when the request is aborted', async () => {
    const server = await scriptedServer();
    server.answer(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf']);
    const controller = new AbortController();
    const pending = probe(server, { signal: controller.signal });
    await expect.poll(() => server.requests.length, { timeout: 2_000 }).toBe(1);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => server.open(), { timeout: 2_000 }).toBe(0);
  });
});

describe('a prepared request', () => {
  it('sends Host, the URL credentials as Basic authorization, the headers and a length with a body', async () => {
    const server = await scriptedServer();
    const url = server.url.replace('http://', 'http://us%40er:p%3Ass@');
    const pool = createProbePool(new URL(url));
    await pool.request({ request: requestOf(`${url}path?q=1#fragment`, { method: 'post', headers: { 'X-Probe': 'yes' }, body: 'héllo' }), signal: new AbortController().signal });
    releaseProbePool(pool);
    const sent = server.requests[0] as string;
    const host = new URL(server.url).host;
    expect(sent).toBe(
      `POST /path?q=1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Basic ${Buffer.from('us@er:p:ss').toString('base64')}\r\nConnection: keep-alive\r\nX-Probe: yes\r\nContent-Length: 6\r\n\r\n${Buffer.from('héllo').toString('latin1')}`,
    );
  });

  it('keeps a configured Host and Authorization', () => {
    const text = requestOf('http://a:b@127.0.0.1:1/', { headers: { host: 'service.internal', Authorization: 'Bearer t' } }).bytes.toString('latin1');
    expect(text).toBe('GET / HTTP/1.1\r\nConnection: keep-alive\r\nhost: service.internal\r\nAuthorization: Bearer t\r\n\r\n');
  });

  it.each([
    [{ 'bad name': 'x' }, /header name "bad name" is not a valid HTTP header name/],
    [{ 'X-Split': 'a\r\nInjected: yes' }, /header "X-Split" has a character that HTTP does not allow/],
  ])('refuses %j', (headers, message) => {
    expect(() => requestOf('http://127.0.0.1:1/', { headers })).toThrow(message);
  });
});
