// The fast path answers exactly as the full Express stack: one matrix of requests (paths,
// query strings with unknown and bracketed parameters, methods, headers and credentials) goes
// through Vigil with the fast path on and with it off, over the same engine, store and clock,
// and every answer must match in status, body and the headers that carry meaning.
import { Agent, createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestListener, type VigilListener } from '../../src/app.ts';
import { createFastPath } from '../../src/http/fast-path.ts';
import { createRequestLog } from '../../src/http/request-log.ts';
import { loadSpec } from '../../src/http/spec.ts';
import { createSpecValidator } from '../../src/http/spec-validator.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { listenOnLoopback, type Listening } from '../support/servers/listen.ts';

const PATHS = ['/livez', '/readyz', '/health', '/v1/health', '/healthz', '/LIVEZ', '/health/', '/healthz/'];
const QUERIES = ['', '?', '?verbose', '?verbose=0', '?exclude=shutdown', '?strict=true', '?unknown=1', '?a[b]=1', '?verbose&verbose'];
/** Crossed with every header set: GET; with the few that could matter for them: HEAD and POST. */
const METHODS = ['GET', 'HEAD', 'POST'];
const HEADER_SETS_BY_METHOD: Readonly<Record<string, readonly string[] | undefined>> = {
  HEAD: ['none', 'accept text', 'accept health+json', 'request id', 'bearer', 'json body', 'if-none-match'],
  POST: ['none', 'bearer', 'json body'],
};
const OTHER_METHODS = ['PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'];
type HeaderSet = Readonly<Record<string, string | string[]>>;
const HEADER_SETS: Readonly<Record<string, HeaderSet>> = {
  none: {},
  'accept json': { accept: 'application/json' },
  'accept text': { accept: 'text/plain' },
  'accept xml': { accept: 'application/xml' },
  'accept health+json': { accept: 'application/health+json' },
  'accept health+json or json': { accept: 'application/health+json, application/json;q=0.5' },
  'accept any text': { accept: 'text/*' },
  'request id': { 'x-request-id': 'matrix-id-1' },
  'bad request id': { 'x-request-id': 'not ok id with spaces' },
  bearer: { authorization: 'Bearer not-a-real-token' },
  'api key': { 'x-api-key': 'vgl_nope' },
  cookie: { cookie: 'psession=nope' },
  hasura: { 'x-hasura-admin-secret': 'wrong', 'x-hasura-role': 'admin' },
  'json body': { 'content-type': 'application/json', body: '{"a":1}' },
  'broken json body': { 'content-type': 'application/json', body: '{' },
  'if-none-match': { 'if-none-match': '*' },
  // The fast path reads rawHeaders: names in any case, and repeated ones (which req.headers joins).
  'title case': { Accept: 'application/json', 'X-Request-Id': 'matrix-id-2', 'User-Agent': 'matrix' },
  'upper case': { ACCEPT: '*/*', 'X-REQUEST-ID': 'matrix-id-3', 'CACHE-CONTROL': 'no-cache' },
  'mixed case unknown': { 'X-Matrix-Extra': '1' },
  'repeated accept': { accept: ['application/json', 'application/json'] },
  'repeated request id': { 'x-request-id': ['matrix-id-4', 'matrix-id-5'] },
};

/** The X-Request-Id a header set sends, as the server sees it (repeats joined). */
function requestIdOf(headerSet: HeaderSet): string | undefined {
  const entry = Object.entries(headerSet).find(([name]) => name.toLowerCase() === 'x-request-id');
  return entry === undefined ? undefined : [entry[1]].flat().join(', ');
}
/** Headers whose value must be equal; x-request-id is compared separately (random when not given). */
const COMPARED = ['content-type', 'content-length', 'etag', 'cache-control', 'allow', 'retry-after', 'vary', 'www-authenticate', 'connection', 'location'];

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function send(baseUrl: string, method: string, path: string, headerSet: HeaderSet): Promise<Answer> {
  const { body: given, ...headers } = headerSet;
  const body = typeof given === 'string' ? given : undefined;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let fast: TestApp;
let full: { listening: Listening; baseUrl: string; vigil: VigilListener };
let fastVigil: VigilListener;
let fastListening: Listening;
let fastUrl: string;
const NOW = Date.parse('2026-01-01T12:00:00.000Z');

beforeAll(async () => {
  // One engine, store and clock; two listeners over them (fast path on and off).
  fast = await startTestApp({
    sources: [
      { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', critical: true },
      { name: 'nowhere', kind: 'http', url: 'http://127.0.0.1:1/', critical: false },
    ],
    config: { families: { health: { services: ['cache', 'nowhere'] }, admin: { cache: 'cache' } }, auth: { hasuraAdminSecret: 'matrix-secret' } },
    now: () => NOW,
    startedAt: new Date(NOW - 90_000),
  });
  const makeServer = async (fastPath: boolean) => {
    const vigil = await createRequestListener(fast.deps, undefined, { fastPath });
    const listening = await listenOnLoopback(createServer(vigil.listener));
    return { vigil, listening, baseUrl: `http://127.0.0.1:${listening.port}` };
  };
  const on = await makeServer(true);
  fastVigil = on.vigil;
  fastListening = on.listening;
  fastUrl = on.baseUrl;
  full = await makeServer(false);
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await fastListening?.close();
  await full?.listening.close();
  await fast?.close();
});

function cases(): [string, string, string][] {
  const all: [string, string, string][] = [];
  for (const path of PATHS) {
    for (const query of QUERIES) {
      for (const method of METHODS) {
        for (const headers of HEADER_SETS_BY_METHOD[method] ?? Object.keys(HEADER_SETS)) all.push([method, `${path}${query}`, headers]);
      }
    }
    for (const method of OTHER_METHODS) all.push([method, path, 'none']);
  }
  return all;
}

describe('the fast path', () => {
  it('answers the whole request matrix exactly as the full stack does', async () => {
    const mismatches: string[] = [];
    const all = cases();
    const before = fastVigil.fastPath?.answered() ?? 0;
    // In small batches: the machine is shared, and both servers see the same order.
    for (let i = 0; i < all.length; i += 8) {
      await Promise.all(
        all.slice(i, i + 8).map(async ([method, path, headerName]) => {
          const headerSet = HEADER_SETS[headerName] as HeaderSet;
          const [a, b] = await Promise.all([send(fastUrl, method, path, headerSet), send(full.baseUrl, method, path, headerSet)]);
          const label = `${method} ${path} [${headerName}]`;
          if (a.status !== b.status) mismatches.push(`${label}: status ${a.status} vs ${b.status}`);
          if (a.body !== b.body) mismatches.push(`${label}: body ${JSON.stringify(a.body.slice(0, 120))} vs ${JSON.stringify(b.body.slice(0, 120))}`);
          for (const name of COMPARED) {
            if (String(a.headers[name]) !== String(b.headers[name])) mismatches.push(`${label}: ${name} ${String(a.headers[name])} vs ${String(b.headers[name])}`);
          }
          const given = requestIdOf(headerSet);
          const idOk = (id: unknown) => (given && !given.includes(' ') ? id === given : typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id));
          if (!idOk(a.headers['x-request-id']) || !idOk(b.headers['x-request-id'])) mismatches.push(`${label}: x-request-id ${String(a.headers['x-request-id'])} vs ${String(b.headers['x-request-id'])}`);
        }),
      );
    }
    expect(mismatches.slice(0, 30)).toEqual([]);
    // The comparison means something only if the fast path answered a good part of it.
    expect((fastVigil.fastPath?.answered() ?? 0) - before).toBeGreaterThanOrEqual(5 * 6);
  }, 180_000);

  it('takes neutral headers in any spelling, and leaves repeated Accept or X-Request-Id to the full stack', async () => {
    const taken = async (headerSet: HeaderSet) => {
      const before = fastVigil.fastPath?.answered() ?? 0;
      const answer = await send(fastUrl, 'GET', '/livez', headerSet);
      expect(answer.status).toBe(200);
      return (fastVigil.fastPath?.answered() ?? 0) - before === 1;
    };
    expect(await taken({ Accept: '*/*', 'X-Request-Id': 'title-case', 'User-Agent': 'matrix' })).toBe(true);
    expect(await taken(HEADER_SETS['upper case'] as HeaderSet)).toBe(true);
    expect(await taken({ 'X-rEqUeSt-Id': 'odd-case', aCCept: '*/*' })).toBe(true);
    expect(await taken(HEADER_SETS['mixed case unknown'] as HeaderSet)).toBe(false);
    expect(await taken(HEADER_SETS['repeated accept'] as HeaderSet)).toBe(false);
    expect(await taken(HEADER_SETS['repeated request id'] as HeaderSet)).toBe(false);
  });

  it('logs the same request line as the full stack', async () => {
    const lines = () => fast.logs().map((line) => JSON.parse(line) as { msg: string; req?: { url: string; method: string }; res?: { statusCode: number }; operationId?: string });
    await send(fastUrl, 'GET', '/livez', { 'x-request-id': 'log-fast' });
    await send(full.baseUrl, 'GET', '/livez', { 'x-request-id': 'log-full' });
    const fastLine = lines().find((line) => line.req && (line.req as { id?: string }).id === 'log-fast');
    const fullLine = lines().find((line) => line.req && (line.req as { id?: string }).id === 'log-full');
    expect(fastLine).toBeDefined();
    const strip = (line: typeof fastLine) => ({ ...line, time: 0, responseTime: 0, req: { ...line?.req, id: '', remoteAddress: '' } });
    expect(strip(fastLine)).toEqual(strip(fullLine));
    expect(fastLine?.operationId).toBe('getLivez');
  });
});

describe('fast-path answers', () => {
  it('splice a field that moves faster than the key into the body built once, each value checked on its own schema', async () => {
    const spec = await loadSpec();
    const validator = await createSpecValidator();
    let builds = 0;
    let uptime: unknown = 5;
    const fastPath = createFastPath({
      answers: [
        {
          operationId: 'getHealth',
          key: () => 1,
          build: () => (builds++, { status: 200, contentType: 'application/json', body: { status: 'ok', version: '1', build_git_hash: 'x', build_timestamp: 't', uptime_ms: uptime } }),
          splice: { property: 'uptime_ms', value: () => uptime },
        },
      ],
      operations: spec.operations,
      validator,
      requestLog: createRequestLog({ logger: fast.deps.logger, loggableQueryParameters: new Set() }),
    });
    const server = await listenOnLoopback(createServer((req, res) => (fastPath.handle(req, res) ? undefined : res.writeHead(599).end())));
    const url = `http://127.0.0.1:${server.port}`;
    try {
      const bodies: unknown[] = [];
      for (const value of [5, 1234567, 0]) {
        uptime = value;
        const answer = await send(url, 'GET', '/health', {});
        expect(answer.status).toBe(200);
        expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
        bodies.push(JSON.parse(answer.body));
      }
      expect(bodies).toEqual([0, 1, 2].map((i) => ({ status: 'ok', version: '1', build_git_hash: 'x', build_timestamp: 't', uptime_ms: [5, 1234567, 0][i] })));
      expect(builds).toBe(1);
      // uptime_ms is a non-negative integer: anything else is the full stack's to answer.
      for (const value of [-1, 1.5, '7', undefined]) {
        uptime = value;
        expect((await send(url, 'GET', '/health', {})).status).toBe(599);
      }
      expect(builds).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('check a property alone only where its schema does not relate it to the other fields', async () => {
    const spec = await loadSpec();
    const validator = await createSpecValidator();
    const pointerOf = (operationId: string) =>
      validator.responseSchemaPointer(spec.operations.find((op) => op.operationId === operationId) as (typeof spec.operations)[number], 200, 'application/json') as string;
    const check = validator.propertyCheck(pointerOf('getHealth'), 'uptime_ms');
    expect([check?.(3), check?.(-3), check?.(2.5)]).toEqual([true, false, false]);
    expect(validator.propertyCheck(pointerOf('getHealth'), 'no_such_field')).toBeUndefined();
    // The admin report is an allOf: what combines schemas may tie one field to another.
    expect(validator.propertyCheck(pointerOf('getAdminHealth'), 'status')).toBeUndefined();
    expect(validator.propertyCheck(pointerOf('getHealthStatus'), 'uptime')?.('1h0m5s')).toBe(true);
  });

  it('are rebuilt only when their key changes, and refused when they break the contract', async () => {
    const spec = await loadSpec();
    const validator = await createSpecValidator();
    let builds = 0;
    let key = 'a';
    let body: unknown = { status: 'ok', version: '1', build_git_hash: 'x', build_timestamp: '2026-01-01T00:00:00.000Z', uptime_ms: 5 };
    const invalid: string[] = [];
    const fastPath = createFastPath({
      answers: [{ operationId: 'getHealth', key: () => key, build: () => (builds++, { status: 200, contentType: 'application/json', body }) }],
      operations: spec.operations,
      validator,
      requestLog: createRequestLog({ logger: fast.deps.logger, loggableQueryParameters: new Set() }),
      onInvalid: (operationId) => invalid.push(operationId),
    });
    const server = await listenOnLoopback(createServer((req, res) => (fastPath.handle(req, res) ? undefined : res.writeHead(599).end())));
    const url = `http://127.0.0.1:${server.port}`;
    try {
      expect((await send(url, 'GET', '/health', {})).status).toBe(200);
      expect((await send(url, 'GET', '/health', {})).status).toBe(200);
      expect(builds).toBe(1);
      key = 'b';
      body = { status: 'fine' };
      // Off-contract: not answered here (the full stack would answer, and fail it, itself).
      expect((await send(url, 'GET', '/health', {})).status).toBe(599);
      expect(builds).toBe(2);
      expect(invalid).toEqual(['getHealth']);
      expect((await send(url, 'GET', '/health?x=1', {})).status).toBe(599);
    } finally {
      await server.close();
    }
  });
});
