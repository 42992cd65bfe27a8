// The connection front answers the public probes on the socket, before Node's parser; every
// other request goes to Node's server with its bytes untouched. Two lifecycles over one
// engine, store and clock, one with the front and one without (node:http and the fast path
// in its request listener), get the same bytes, written the same way, and must send back the
// same bytes (the Date header and random request ids aside): single requests of every kind
// the front must leave alone, sequences that move a connection from the front to Node
// mid-way, pipelined and split requests, and the deadlines of a silent or idle connection.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestListener } from '../../src/app.ts';
import type { FrontAnswer, RequestHead } from '../../src/http/request-head.ts';
import { createServerLifecycle, type ServerLifecycle } from '../../src/server/lifecycle.ts';
import { captureLogger, startTestApp, type TestApp } from '../support/app.ts';
import { openRawConnection } from '../support/raw-connection.ts';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const SETTINGS = {
  host: '127.0.0.1',
  port: 0,
  shutdownDelayMs: 0,
  shutdownGraceMs: 1_000,
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  keepAliveTimeoutMs: 1_500,
  idleTimeoutMs: 0,
  maxConnections: 64,
  probeConnections: 0,
};

let app: TestApp;
let withFront: { lifecycle: ServerLifecycle; port: number };
let withoutFront: { lifecycle: ServerLifecycle; port: number };
/** Heads the front answered itself. */
let frontAnswers = 0;
const opened: Socket[] = [];

beforeAll(async () => {
  app = await startTestApp({
    sources: [{ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', critical: true }],
    config: { families: { health: { services: ['cache'] }, admin: { cache: 'cache' } } },
    now: () => NOW,
    startedAt: new Date(NOW - 90_000),
    // At info, answered probes write no request line: the front answers them (a line to write
    // sends the request the node:http way, test/platform/logging.test.ts).
    logger: captureLogger('info').logger,
  });
  const serve = async (front: boolean) => {
    const vigil = await createRequestListener(app.deps, undefined, { fastPath: true });
    const fastPath = vigil.fastPath;
    if (!fastPath) throw new Error('the fast path is on');
    const lifecycle = createServerLifecycle({ logger: captureLogger('warn').logger, settings: SETTINGS });
    const answerHead = (head: RequestHead): FrontAnswer | undefined => {
      const answer = fastPath.answerHead(head);
      if (answer) frontAnswers += 1;
      return answer;
    };
    const url = await lifecycle.listen(vigil.app, { answerAtOnce: fastPath.handle, ...(front ? { answerHead } : {}) });
    return { lifecycle, port: Number(new URL(url).port) };
  };
  withFront = await serve(true);
  withoutFront = await serve(false);
}, 60_000);

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  await withFront?.lifecycle.shutdown('test over', { skipDelay: true });
  await withoutFront?.lifecycle.shutdown('test over', { skipDelay: true });
  await app?.close();
});

/** What differs between two servers by design: the second of the Date header, generated ids. */
function normalised(text: string): string {
  return text.replace(/\r\nDate: [^\r]*/g, '\r\nDate: -').replace(/X-Request-Id: [0-9a-f-]{36}/gi, 'X-Request-Id: (generated)').replace(/"requestId":"[0-9a-f-]{36}"/g, '"requestId":"(generated)"');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes each part in turn (waiting `gapMs` after each) and returns all the server sent, once
 * it has been quiet for 250 ms or closed the connection.
 */
async function exchange(port: number, parts: readonly string[], gapMs = 60): Promise<{ text: string; closed: boolean }> {
  const connection = await openRawConnection(port, opened);
  let closed = false;
  void connection.closed.then(() => (closed = true));
  for (const part of parts) {
    if (!closed) connection.socket.write(Buffer.from(part, 'latin1'));
    await sleep(gapMs);
  }
  let seen = -1;
  for (let waited = 0; waited < 5_000 && !closed; waited += 250) {
    const now = connection.received().length;
    if (now === seen && now > 0) break;
    seen = now;
    await sleep(250);
  }
  connection.socket.destroy();
  return { text: connection.received(), closed };
}

async function bothAnswer(parts: readonly string[], gapMs?: number): Promise<{ front: string; node: string }> {
  const [front, node] = await Promise.all([exchange(withFront.port, parts, gapMs), exchange(withoutFront.port, parts, gapMs)]);
  return { front: normalised(front.text), node: normalised(node.text) };
}

const get = (path: string, lines: readonly string[] = [], method = 'GET', version = 'HTTP/1.1') =>
  `${method} ${path} ${version}\r\n${['Host: 127.0.0.1', ...lines].map((line) => `${line}\r\n`).join('')}\r\n`;

/** One request per case, each alone on a new connection. */
const SINGLE: Readonly<Record<string, string>> = {
  'GET /livez': get('/livez'),
  'GET /readyz': get('/readyz'),
  'GET /health': get('/health'),
  'GET /v1/health': get('/v1/health'),
  'GET /healthz': get('/healthz'),
  'HEAD /livez': get('/livez', [], 'HEAD'),
  'HEAD /health': get('/health', [], 'HEAD'),
  'a query string': get('/livez?verbose=1'),
  'another case': get('/LIVEZ'),
  'a trailing slash': get('/health/'),
  'an authenticated path without a credential': get('/healthz/sources'),
  'an admin path': get('/v1/admin/health'),
  'an unknown path': get('/nowhere'),
  POST: get('/livez', ['Content-Length: 0'], 'POST'),
  OPTIONS: get('/livez', [], 'OPTIONS'),
  'a lower-case method': get('/livez', [], 'get'),
  'HTTP/1.0': get('/livez', [], 'GET', 'HTTP/1.0'),
  'HTTP/1.0 with keep-alive': get('/livez', ['Connection: keep-alive'], 'GET', 'HTTP/1.0'),
  'an absolute-form target': get('http://127.0.0.1/livez'),
  'Connection: close': get('/livez', ['Connection: close']),
  'Connection: keep-alive': get('/livez', ['Connection: keep-alive']),
  'Connection: Upgrade': get('/livez', ['Connection: Upgrade', 'Upgrade: websocket']),
  'Accept: application/json': get('/health', ['Accept: application/json']),
  'Accept: text/plain': get('/health', ['Accept: text/plain']),
  'Accept: application/health+json': get('/health', ['Accept: application/health+json']),
  'a request id': get('/livez', ['X-Request-Id: front-id-1']),
  'a request id with blanks around it': get('/livez', ['X-Request-Id: \t front-id-2  ']),
  'a request id with spaces': get('/livez', ['X-Request-Id: not ok id']),
  'two request ids': get('/livez', ['X-Request-Id: a-1', 'X-Request-Id: a-2']),
  'upper-case names': get('/livez', ['USER-AGENT: probe', 'ACCEPT: */*']),
  'a bearer token': get('/livez', ['Authorization: Bearer nope']),
  'a cookie': get('/livez', ['Cookie: psession=nope']),
  'an unknown header': get('/livez', ['X-Extra: 1']),
  'If-None-Match': get('/livez', ['If-None-Match: *']),
  'Content-Length with a body': `${get('/livez', ['Content-Length: 2']).slice(0, -2)}\r\nab`,
  'chunked with a body': `GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n`,
  'Expect: 100-continue': get('/livez', ['Expect: 100-continue']),
  'no Host': 'GET /livez HTTP/1.1\r\nUser-Agent: probe\r\n\r\n',
  'two Hosts': get('/livez', ['Host: 127.0.0.2']),
  'an empty Host': 'GET /livez HTTP/1.1\r\nHost:\r\n\r\n',
  'a folded header line': get('/livez', ['User-Agent: probe', ' continued']),
  'a space before the colon': get('/livez', ['User-Agent : probe']),
  'a name with a bad character': get('/livez', ['User@Agent: probe']),
  'a control character in a value': get('/livez', ['User-Agent: pro\u0001be']),
  'a non-ASCII value': get('/livez', ['User-Agent: pr\u00f6be']),
  'bare LF line ends': 'GET /livez HTTP/1.1\nHost: 127.0.0.1\n\n',
  'a bare CR in a value': get('/livez', ['User-Agent: a\rb']),
  'two spaces after the method': 'GET  /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'a tab in the target': 'GET /li\tvez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'garbage': 'HELLO\r\n\r\n',
  'a head larger than the front reads': get('/livez', [`User-Agent: ${'x'.repeat(9_000)}`]),
  'a head larger than Node allows': get('/livez', [`User-Agent: ${'x'.repeat(20_000)}`]),
  'seventy header lines': get('/livez', Array.from({ length: 70 }, (_, i) => `X-Forwarded-For: 10.0.0.${i}`)),
};

/** Requests on one connection, each written after the answer to the one before. */
const SEQUENCES: Readonly<Record<string, readonly string[]>> = {
  'probes, then an admin request, then probes again': [get('/livez'), get('/health'), get('/v1/admin/health'), get('/livez'), get('/readyz')],
  'a probe, then one the front leaves, then a probe with Connection: close': [get('/livez'), get('/healthz/sources'), get('/livez', ['Connection: close'])],
  'a probe, then Connection: close, then one more (not answered)': [get('/livez'), get('/livez', ['Connection: close']), get('/livez')],
  'a probe, then a head split in two writes, then a probe': [get('/livez'), 'GET /health HTTP/1.1\r\nHo', 'st: 127.0.0.1\r\n\r\n', get('/livez')],
  'two probes pipelined in one write, then one more': [`${get('/livez')}${get('/health')}`, get('/readyz')],
  'a probe, then a malformed request': [get('/livez'), 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n'],
  'a probe, then a POST with a body, then a probe': [get('/livez'), `${get('/livez', ['Content-Length: 2']).slice(0, -2)}\r\nab`, get('/livez')],
};

describe('the connection front', () => {
  it('sends the bytes Node and the fast path send, to each request alone', async () => {
    const before = frontAnswers;
    for (const [name, request] of Object.entries(SINGLE)) {
      const { front, node } = await bothAnswer([request]);
      expect(front, name).toBe(node);
      expect(front.length, name).toBeGreaterThan(0);
    }
    // GET and HEAD of the five public probes, some with neutral headers: the front itself.
    expect(frontAnswers - before).toBeGreaterThanOrEqual(12);
  }, 120_000);

  it('answers its own heads with Node’s headers, in Node’s order', async () => {
    const before = frontAnswers;
    const { front } = await bothAnswer([get('/livez')]);
    expect(frontAnswers - before).toBe(1);
    expect(front).toMatch(
      /^HTTP\/1\.1 200 OK\r\nX-Request-Id: \(generated\)\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Length: 2\r\nCache-Control: no-cache\r\nDate: -\r\nConnection: keep-alive\r\nKeep-Alive: timeout=1\r\n\r\nok$/,
    );
  });

  it('hands a connection to Node mid-way with nothing lost or reordered', async () => {
    for (const [name, parts] of Object.entries(SEQUENCES)) {
      const { front, node } = await bothAnswer(parts);
      expect(front, name).toBe(node);
      expect(front.split('HTTP/1.1 ').length - 1, name).toBeGreaterThanOrEqual(Math.min(2, parts.length));
    }
  }, 120_000);

  it('answers a connection that sends nothing with Node’s 408 at the headers timeout', async () => {
    const [front, node] = await Promise.all([exchange(withFront.port, [], 0), exchange(withoutFront.port, [], 0)]);
    expect(front.closed).toBe(true);
    expect(normalised(front.text)).toBe(normalised(node.text));
    expect(front.text).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('closes a kept-alive connection after the keep-alive timeout, as Node does', async () => {
    const timed = async (port: number) => {
      const connection = await openRawConnection(port, opened);
      connection.socket.write(get('/livez'));
      return connection.closed;
    };
    const [front, node] = await Promise.all([timed(withFront.port), timed(withoutFront.port)]);
    // Node's timer and the front's sweep (a quarter of the timeout) may differ by that much.
    expect(front).toBeGreaterThanOrEqual(SETTINGS.keepAliveTimeoutMs - 50);
    expect(front).toBeLessThan(SETTINGS.keepAliveTimeoutMs * 1.25 + 1_000);
    expect(Math.abs(front - node)).toBeLessThan(SETTINGS.keepAliveTimeoutMs / 4 + 1_000);
  }, 20_000);
});
