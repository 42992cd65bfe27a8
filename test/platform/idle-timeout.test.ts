// server.idle_timeout: a connection with no traffic either way for that long is closed (a
// client that went silent, or stopped reading its answer), while one with traffic stays open.
// The lifecycle alone, on loopback, with a short idle timeout and long header deadlines (so
// that only the idle rule can cut these connections).
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerLifecycle, type ServerLifecycle } from '../../src/server/lifecycle.ts';
import { captureLogger } from '../support/app.ts';
import { openRawConnection, type RawConnection } from '../support/raw-connection.ts';

const IDLE_TIMEOUT_MS = 400;
/** The sweep runs every quarter of the idle timeout; the machine is shared. */
const SLACK_MS = 1_500;
const BIG_ANSWER_BYTES = 64 * 1024 * 1024;

let lifecycle: ServerLifecycle;
let port: number;
const opened: Socket[] = [];

beforeAll(async () => {
  const { logger } = captureLogger('warn');
  lifecycle = createServerLifecycle({
    logger,
    settings: {
      host: '127.0.0.1',
      port: 0,
      shutdownDelayMs: 0,
      shutdownGraceMs: 1_000,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 20_000,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      maxConnections: 16,
      probeConnections: 0,
    },
  });
  const url = await lifecycle.listen((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BIG_ANSWER_BYTES });
      res.end(Buffer.alloc(BIG_ANSWER_BYTES, 0x61));
      return;
    }
    // A slow answer with traffic: one byte every 100 ms for 1.2 s.
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 12 });
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      if (sent < 12) res.write('x');
      else {
        clearInterval(timer);
        res.end('x');
      }
    }, 100);
    res.once('close', () => clearInterval(timer));
  });
  port = Number(new URL(url).port);
});

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  await lifecycle?.shutdown('test', { skipDelay: true });
});

function open(): Promise<RawConnection> {
  return openRawConnection(port, opened);
}

describe('server.idle_timeout', () => {
  it('closes a connection that sends nothing after idle_timeout, long before its header deadline', async () => {
    const connection = await open();
    const ms = await connection.closed;
    expect(ms).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(IDLE_TIMEOUT_MS + SLACK_MS);
  });

  it('closes a connection whose client stopped reading its answer', async () => {
    const connection = await open();
    connection.socket.pause();
    connection.socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    // Nothing read for longer than idle_timeout: the answer stays queued on the server's side.
    await new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS + SLACK_MS));
    connection.socket.resume();
    // What the kernel had buffered arrives, then the end: not the whole answer.
    const outcome = await Promise.race([connection.closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('open'), 5_000))]);
    expect(outcome).toBe('closed');
    expect(connection.received().length).toBeLessThan(BIG_ANSWER_BYTES);
  }, 15_000);

  it('keeps a connection open while an answer trickles for three times idle_timeout', async () => {
    const connection = await open();
    connection.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    const outcome = await Promise.race([
      connection.closed.then(() => 'closed'),
      new Promise((resolve) => {
        const check = setInterval(() => {
          if (connection.received().endsWith('\r\n\r\nxxxxxxxxxxxx')) {
            clearInterval(check);
            resolve('answered');
          }
        }, 20);
      }),
    ]);
    expect(outcome).toBe('answered');
  }, 10_000);
});
