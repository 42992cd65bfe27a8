// Slow clients cannot take Vigil's probes down: header and request deadlines cut slow-header
// and slow-body connections, idle keep-alive connections are closed, and beyond
// server.max_connections only /livez and /readyz are answered (headroom for the kubelet).
// A private Vigil on loopback with small limits; the number of connections is bounded.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVigil, type RunningVigil } from '../../src/main.ts';
import { captureLogger } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { openRawConnection, type RawConnection } from '../support/raw-connection.ts';

const MAX_CONNECTIONS = 24;
const PROBE_CONNECTIONS = 4;
const HEADERS_TIMEOUT_MS = 4_000;
const REQUEST_TIMEOUT_MS = 6_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/**
 * Node checks deadlines on an interval (a quarter of the header timeout here) and the machine
 * is shared; still far below Node's own defaults (60 s for headers, 300 s for a request).
 */
const SLACK_MS = 5_000;

let vigil: RunningVigil;
let port: number;
const opened: Socket[] = [];

beforeAll(async () => {
  const { logger } = captureLogger('warn');
  port = await freePort();
  vigil = await startVigil({
    argv: [],
    env: {
      VIGIL_SERVER__PORT: String(port),
      VIGIL_STORE__DATA_DIR: 'memory://',
      VIGIL_SERVER__SHUTDOWN_DELAY: '0s',
      VIGIL_SERVER__MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      VIGIL_SERVER__PROBE_CONNECTIONS: String(PROBE_CONNECTIONS),
      VIGIL_SERVER__HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms`,
      VIGIL_SERVER__REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`,
      VIGIL_SERVER__KEEP_ALIVE_TIMEOUT: `${KEEP_ALIVE_TIMEOUT_MS}ms`,
    },
    logger,
  });
}, 60_000);

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  await vigil?.shutdown('test', { skipDelay: true });
});

function open(): Promise<RawConnection> {
  return openRawConnection(port, opened);
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function drip(socket: Socket, text: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return clearInterval(timer);
    socket.write(text[at++] ?? '');
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** One request on a fresh connection; resolves with the raw answer (empty if cut). */
async function ask(path: string): Promise<string> {
  const connection = await open();
  connection.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await Promise.race([connection.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  connection.socket.destroy();
  return connection.received();
}

describe('server limits', () => {
  it('keeps /livez answering while slow-header and slow-body clients hold every ordinary connection, and cuts them after their deadlines', async () => {
    const slowHeaders: RawConnection[] = [];
    const slowBodies: RawConnection[] = [];
    const connections = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open()));
    connections.forEach((connection, i) => {
      if (i % 2 === 0) {
        connection.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
        drip(connection.socket, 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 100);
        slowHeaders.push(connection);
      } else {
        connection.socket.write('POST /api/v1/system-health-check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{');
        drip(connection.socket, ' '.repeat(199), 100);
        slowBodies.push(connection);
      }
    });
    const stillOpen = () => connections.every((connection) => !connection.socket.destroyed && connection.received() === '');

    // Every ordinary slot is taken: probes still answer, anything else is turned away politely.
    expect(await ask('/livez')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await ask('/readyz')).toMatch(/^HTTP\/1\.1 200 /);
    const shed = await ask('/health');
    expect(shed).toMatch(/^HTTP\/1\.1 503 /);
    expect(shed).toMatch(/\r\nRetry-After: 1\r\n/i);
    // All of that happened while the slow clients still held their connections.
    expect(stillOpen()).toBe(true);

    const headerCuts = await Promise.all(slowHeaders.map((connection) => connection.closed));
    const bodyCuts = await Promise.all(slowBodies.map((connection) => connection.closed));
    for (const ms of headerCuts) {
      expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    }
    for (const ms of bodyCuts) {
      expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    }
    // Cut with an answer, not a silent reset.
    for (const connection of [...slowHeaders, ...slowBodies]) expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);

    // With the slow clients gone, ordinary requests are served again.
    expect(await ask('/health')).toMatch(/^HTTP\/1\.1 200 /);
  }, 60_000);

  it('drops connections beyond the probe headroom at once', async () => {
    const held: RawConnection[] = [];
    for (let i = 0; i < MAX_CONNECTIONS + PROBE_CONNECTIONS; i += 1) held.push(await open());
    const extra = await open();
    // Node closes it on accept; the held ones stay until their header deadline.
    expect(await Promise.race([extra.closed, new Promise((resolve) => setTimeout(() => resolve('open'), HEADERS_TIMEOUT_MS / 2))])).not.toBe('open');
    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
  }, 30_000);

  it('closes an idle keep-alive connection after keep_alive_timeout', async () => {
    const connection = await open();
    connection.socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*Keep-Alive: timeout=1/i);
    expect(ms).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
  }, 30_000);
});
