// Vigil as a process: starts from a config file, serves, and on SIGTERM stops taking work,
// lets in-flight requests finish, closes everything and exits 0. A bad config exits 2.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startVigil } from '../../src/main.ts';
import { captureLogger } from '../support/app.ts';
import { freePort } from '../support/ports.ts';

const PROCESS_LIMIT_MS = 80_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(port: number, extra = ''): string {
  const path = join(dir, `vigil-${port}.yaml`);
  writeFileSync(path, `server:\n  port: ${port}\n  shutdown_delay: 0s\n  shutdown_grace: 5s\nstore:\n  data_dir: memory://\nsources: []\n${extra}`);
  return path;
}

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs src/main.ts; `onLine` sees each stdout line and may signal the process. */
function runVigil(
  args: string[],
  onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => undefined,
  where: { readonly cwd?: string; readonly env?: Record<string, string> } = {},
): Promise<Exit> {
  // tsx resolved from this checkout, so the process may run in any working directory.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts'), ...args], {
    cwd: where.cwd ?? ROOT,
    env: { ...process.env, VIGIL_CONFIG: '', ...where.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  // Generous: a cold tsx start plus the embedded store can take long on a loaded machine.
  const killer = setTimeout(() => child.kill('SIGKILL'), PROCESS_LIMIT_MS);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line, child);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the vigil process', () => {
  it('starts, serves, and exits 0 after closing everything on SIGTERM', async () => {
    const port = await freePort();
    let served: number | undefined;
    const exit = await runVigil(['--config', configFile(port)], (line, child) => {
      if (line.includes('vigil listening')) {
        fetch(`http://127.0.0.1:${port}/openapi.json`)
          .then((response) => {
            served = response.status;
          })
          .finally(() => child.kill('SIGTERM'));
      }
    });
    expect(served).toBe(200);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('shutting down');
    expect(exit.stdout).toContain('vigil stopped');
  }, PROCESS_LIMIT_MS + 10_000);

  it('starts with no configuration at all: creates its embedded store and says how to create the first admin', async () => {
    const port = await freePort();
    const fresh = mkdtempSync(join(dir, 'fresh-'));
    let health: unknown;
    const exit = await runVigil(
      [],
      (line, child) => {
        if (line.includes('vigil listening')) {
          fetch(`http://127.0.0.1:${port}/health`)
            .then(async (response) => {
              health = await response.json();
            })
            .finally(() => child.kill('SIGTERM'));
        }
      },
      { cwd: fresh, env: { VIGIL_SERVER__PORT: String(port) } },
    );
    expect(exit.code).toBe(0);
    expect(health).toMatchObject({ status: 'ok' });
    expect(existsSync(join(fresh, '.vigil-data'))).toBe(true);
    expect(exit.stdout).toContain('users add <username> --role admin');
  }, PROCESS_LIMIT_MS + 10_000);

  it('refuses a bad configuration with exit code 2 and a message naming the key', async () => {
    const port = await freePort();
    const exit = await runVigil(['--config', configFile(port, 'log:\n  level: chatty\n')]);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('log.level must be one of');
  }, PROCESS_LIMIT_MS + 10_000);
});

describe('graceful shutdown', () => {
  it('marks itself shutting down, refuses new connections and lets an in-flight request finish', async () => {
    const port = await freePort();
    const { logger, lines } = captureLogger('info');
    const vigil = await startVigil({ argv: ['--config', configFile(port)], env: {}, logger });

    // A request whose body is still arriving when shutdown begins.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    let response = '';
    socket.on('data', (chunk) => (response += chunk));
    const body = '{"SessionID": "abc"}';
    const seen = new Promise((resolve) => vigil.server.once('request', resolve));
    socket.write(
      `POST /api/v1/system-health-check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await seen; // the server is reading this request's body now

    expect(vigil.shuttingDown()).toBe(false);
    const stopped = vigil.shutdown('test');
    expect(vigil.shuttingDown()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // New connections are refused while the in-flight one is still served.
    await expect(fetch(`http://127.0.0.1:${port}/openapi.json`)).rejects.toThrow();
    socket.write(body.slice(5));
    await stopped;
    await socketClosed;
    expect(response).toMatch(/^HTTP\/1\.1 (403|200|503) /);
    // Answered after the listener closed: the client is told not to reuse the connection.
    expect(response).toMatch(/\r\nConnection: close\r\n/i);
    expect(lines().join('\n')).toContain('vigil stopped');
  }, 60_000);

  it('closes connections still open when the grace period ends', async () => {
    const port = await freePort();
    const { logger, lines } = captureLogger('info');
    const vigil = await startVigil({
      argv: ['--config', configFile(port)],
      env: { VIGIL_SERVER__SHUTDOWN_GRACE: '300ms' },
      logger,
    });
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const seen = new Promise((resolve) => vigil.server.once('request', resolve));
    socket.write('POST /api/v1/system-health-check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    await seen;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await vigil.shutdown('test');
    await closed;
    expect(lines().join('\n')).toContain('grace period over');
  }, 60_000);
});
