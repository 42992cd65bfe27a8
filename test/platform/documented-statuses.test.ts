// Every status an operation can answer outside its handler is documented, in its family's
// shape (11.16): the 503 of a credential check that cannot be made (the store down) on every
// protected operation, the 503 beyond the connection cap, and the client errors Node used to
// answer with a bare status line (400 malformed, 431 headers too large, 408 too slow), each
// with a body that validates against the schema the spec documents for that operation.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec, type OperationInfo } from '../../src/http/spec.ts';
import { startVigil, type RunningVigil } from '../../src/main.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import { captureLogger, startTestApp, type TestApp } from '../support/app.ts';
import { createSpecValidator, type SpecValidator } from '../support/openapi.ts';
import { freePort } from '../support/ports.ts';
import { silentLogger } from '../store/backends.ts';

const MAX_CONNECTIONS = 3;
const HEADERS_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 3_000;

const { operations } = await loadSpec();
let spec: SpecValidator;

/** A concrete path for an operation (path parameters filled). */
const pathOf = (op: OperationInfo) => op.path.replace(/\{[^}]+\}/g, 'db');

function expectDocumented(op: OperationInfo, status: number, contentType: string, body: string): void {
  expect(op.statuses, `${op.operationId} documents ${status}`).toContain(String(status));
  const pointer = spec.responseSchemaPointer(op, status, contentType);
  expect(pointer, `${op.operationId} ${status} documents ${contentType}`).toBeDefined();
  expect(spec.errorsAt(pointer as string, JSON.parse(body)), `${op.operationId} ${status}: ${body}`).toEqual([]);
}

beforeAll(async () => {
  spec = await createSpecValidator();
});

describe('a credential store that cannot answer', () => {
  let app: TestApp;
  let setupToken: string;
  beforeAll(async () => {
    const store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
    app = await startTestApp({ store });
    // The setup token is checked in memory; with it (and a valid body) the request reaches the store.
    setupToken = app.deps.identity.setupTokens.issue();
    await store.close(); // every credential check now fails: 503, not 401
  });
  afterAll(async () => {
    await app?.close();
  });

  const protectedOps = operations.filter((op) => op.security.mode !== 'public');
  it.each(protectedOps.map((op) => [op.operationId, op] as const))('%s answers a documented 503 in its family shape', async (_id, op) => {
    const headers = {
      'x-api-key': `vgl_${'a'.repeat(12)}_${'0'.repeat(64)}`,
      authorization: `Bearer vgl_${'b'.repeat(12)}_${'0'.repeat(64)}`,
      cookie: `psession=${'c'.repeat(43)}`,
      'x-vigil-setup-token': setupToken,
      'content-type': 'application/json',
    };
    const setup = op.security.mode !== 'public' && op.security.accepted.includes('setupToken');
    const response = await fetch(`${app.baseUrl}${pathOf(op)}`, {
      method: op.method.toUpperCase(),
      headers,
      body: setup ? JSON.stringify({ username: 'ada', password: 'long enough password' }) : op.method === 'post' ? '{}' : undefined,
    });
    const body = await response.text();
    expect(response.status, body).toBe(503);
    expectDocumented(op, 503, response.headers.get('content-type') ?? '', body);
  });
});

describe('answers before Express', () => {
  let vigil: RunningVigil;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    port = await freePort();
    vigil = await startVigil({
      argv: [],
      env: {
        VIGIL_SERVER__PORT: String(port),
        VIGIL_STORE__DATA_DIR: 'memory://',
        VIGIL_SERVER__SHUTDOWN_DELAY: '0s',
        VIGIL_SERVER__MAX_CONNECTIONS: String(MAX_CONNECTIONS),
        VIGIL_SERVER__PROBE_CONNECTIONS: '2',
        VIGIL_SERVER__HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms`,
        VIGIL_SERVER__REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`,
      },
      logger: captureLogger('warn').logger,
    });
  }, 60_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await vigil?.shutdown('test', { skipDelay: true });
  });

  /** Writes `raw` on a new connection; resolves with status, content type and body once it closes. */
  async function raw(text: string): Promise<{ status: number; contentType: string; body: string; headers: string }> {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(text);
    await new Promise((resolve) => socket.once('close', resolve));
    const [head = '', body = ''] = received.split('\r\n\r\n');
    return {
      status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
      contentType: /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1] ?? '',
      body,
      headers: head,
    };
  }

  const op = (id: string) => operations.find((o) => o.operationId === id) as OperationInfo;

  it('answers headers over 16 KiB with 431 in the family of the path', async () => {
    for (const id of ['getHealthStatus', 'getHealthzSources', 'getHealthDetailed', 'getAdminHealth', 'postSystemHealthCheck']) {
      const target = op(id);
      const answer = await raw(`${target.method.toUpperCase()} ${pathOf(target)} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(answer.status, id).toBe(431);
      expectDocumented(target, 431, answer.contentType, answer.body);
    }
  });

  it('answers a malformed request with 400 and a body', async () => {
    const answer = await raw('NOT A REQUEST\r\n\r\n');
    expect(answer.status).toBe(400);
    expectDocumented(op('getHealth'), 400, answer.contentType, answer.body);
    expect(JSON.parse(answer.body)).toEqual({ status: 'error', error: 'Malformed HTTP request', code: 'bad_request' });
  });

  it('answers headers that do not arrive in time with 408 and a body (no operation known yet)', async () => {
    const answer = await raw('GET /health/status HTTP/1.1\r\nHost: x\r\n');
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ status: 'error', error: 'The request did not arrive in time', code: 'bad_request' });
  }, 20_000);

  it('answers a body that does not arrive in time with 408 in the family of the operation', async () => {
    const target = op('postSystemHealthCheck');
    const answer = await raw(`POST ${target.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{`);
    expect(answer.status).toBe(408);
    expectDocumented(target, 408, answer.contentType, answer.body);
  }, 60_000);

  it('answers beyond the connection cap with 503 and Retry-After in the family of the path', async () => {
    const held: Socket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      held.push(socket);
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    }
    try {
      for (const id of ['getHealthStatus', 'getHealthzSources', 'getHealth']) {
        const target = op(id);
        const answer = await raw(`GET ${pathOf(target)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(answer.status, id).toBe(503);
        expect(answer.headers).toMatch(/\r\nRetry-After: 1(\r|$)/i);
        expectDocumented(target, 503, answer.contentType, answer.body);
      }
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
