// The public probes' successful answers are logged at debug (log.probe_requests: false, the
// default): load balancers and Kubernetes call them every few seconds, and the line cost more
// than the answer. Their failures, and every other operation, keep their levels.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createRequestLog } from '../../src/http/request-log.ts';
import { PUBLIC_PROBE_OPERATIONS } from '../../src/routes/snapshot-answers.ts';
import { loadConfig } from '../../src/config/load.ts';

function capture() {
  const lines: { level: number; operationId?: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; operationId?: string });
        done();
      },
    }),
  );
  return { logger, lines };
}

function answered(status: number): [IncomingMessage, ServerResponse] {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/livez';
  const res = new ServerResponse(req);
  res.statusCode = status;
  return [req, res];
}

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 };

describe('request lines of the public probes', () => {
  it.each([
    ['getLivez', 200, LEVEL.debug],
    ['getReadyz', 200, LEVEL.debug],
    ['getHealth', 200, LEVEL.debug],
    ['getReadyz', 503, LEVEL.error],
    ['getHealthz', 429, LEVEL.warn],
    ['getHealthDetailed', 200, LEVEL.info],
  ])('%s answering %i is logged at level %i', (operationId, status, level) => {
    const { logger, lines } = capture();
    const log = createRequestLog({ logger, loggableQueryParameters: new Set(), quietOperations: new Set(PUBLIC_PROBE_OPERATIONS) });
    const [req, res] = answered(status);
    log.record(req, res, 'id-1', performance.now(), operationId);
    expect(lines.map((line) => [line.operationId, line.level])).toEqual([[operationId, level]]);
  });

  it('reads log.probe_requests: false by default, true to log them at info like every other request', async () => {
    const defaults = await loadConfig({ argv: [], env: {} });
    expect(defaults.log.probeRequests).toBe(false);
    const opted = await loadConfig({ argv: [], env: { VIGIL_LOG__PROBE_REQUESTS: 'true' } });
    expect(opted.log.probeRequests).toBe(true);
  });
});

describe('request ids', () => {
  it('are UUID-shaped and distinct, in one process and between request logs; a sane given one is kept', () => {
    const { logger } = capture();
    const first = createRequestLog({ logger, loggableQueryParameters: new Set() });
    const second = createRequestLog({ logger, loggableQueryParameters: new Set() });
    const [req] = answered(200);
    const ids = [...Array.from({ length: 1000 }, () => first.idOf(req)), second.idOf(req)];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    req.headers['x-request-id'] = 'trace-1234';
    expect(first.idOf(req)).toBe('trace-1234');
    req.headers['x-request-id'] = 'not a sane id';
    expect(first.idOf(req)).not.toBe('not a sane id');
  });
});
