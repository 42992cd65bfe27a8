// Shutdown the Kubernetes way, on a real Vigil process: on SIGTERM /readyz answers 503 for
// server.shutdown_delay while everything else is served, then the port closes; keep-alive
// clients get `Connection: close` instead of a reset; the process exits 0. A second signal
// stops at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_LIMIT_MS = 80_000;
const dir = mkdtempSync(join(tmpdir(), 'vigil-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Vigil {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Starts `src/main.ts` with `server` settings and resolves once it listens. */
async function startVigilProcess(server: string): Promise<Vigil> {
  const port = await freePort();
  const config = join(dir, `vigil-${port}.yaml`);
  writeFileSync(config, `server:\n  port: ${port}\n${server}store:\n  data_dir: memory://\nsources: []\nlog:\n  level: info\n`);
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts'), '--config', config], {
    cwd: ROOT,
    env: { ...process.env, VIGIL_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), START_LIMIT_MS + 30_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve(code);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('vigil listening')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    void exited.then((code) => reject(new Error(`vigil exited with ${code} before listening:\n${output}`)));
  });
  return { child, port, exited, output: () => output };
}

type Outcome = { readonly status: number; readonly connection: string | undefined } | { readonly error: string };

function get(port: number, path: string, agent: Agent | false): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.setTimeout(5_000, () => req.destroy(new Error('client timeout')));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shutdown on SIGTERM', () => {
  it('fails readiness for the delay while serving, then closes the port without resetting keep-alive clients, and exits 0', async () => {
    const vigil = await startVigilProcess('  shutdown_delay: 1500ms\n  shutdown_grace: 8s\n  keep_alive_timeout: 2s\n');
    const { port } = vigil;

    // A kubelet-like poller: a fresh connection every 50 ms, until the port is closed.
    const readyz: string[] = [];
    const polling = (async () => {
      for (;;) {
        const outcome = await get(port, '/readyz', false);
        readyz.push('error' in outcome ? outcome.error : String(outcome.status));
        if ('error' in outcome) return;
        await sleep(50);
      }
    })();

    // Keep-alive load: 6 clients in a loop on pooled connections, until they are refused.
    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    const load = { ok: 0, closeHeaders: 0, notOk: 0, errors: [] as string[] };
    const clients = Array.from({ length: 6 }, async () => {
      for (;;) {
        const outcome = await get(port, '/health', agent);
        if ('error' in outcome) {
          load.errors.push(outcome.error);
          return;
        }
        if (outcome.status === 200) load.ok += 1;
        else load.notOk += 1;
        if (outcome.connection === 'close') load.closeHeaders += 1;
      }
    });

    await sleep(500);
    expect(readyz.every((status) => status === '200')).toBe(true);
    const okBeforeSignal = load.ok;
    vigil.child.kill('SIGTERM');
    const code = await vigil.exited;
    await Promise.all([polling, ...clients]);
    agent.destroy();

    expect(code, vigil.output()).toBe(0);
    // Readiness failed while the port was still open, and only then was it refused.
    const firstFailed = readyz.indexOf('503');
    expect(firstFailed, readyz.join(' ')).toBeGreaterThan(0);
    // A connection still in the accept queue when the listener closes is reset by the kernel.
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(readyz.at(-1));
    expect(readyz.slice(firstFailed, -1).every((status) => status === '503')).toBe(true);
    // The load kept being served during the delay, was told to close, and was never reset.
    expect(load.ok).toBeGreaterThan(okBeforeSignal);
    expect(load.notOk).toBe(0);
    expect(load.closeHeaders).toBeGreaterThan(0);
    expect(load.errors.filter((error) => error !== 'ECONNREFUSED'), load.errors.join(' ')).toEqual([]);
    expect(vigil.output()).toContain('vigil stopped');
  }, START_LIMIT_MS + 60_000);

  it('stops at once on a second signal', async () => {
    const vigil = await startVigilProcess('  shutdown_delay: 60s\n  shutdown_grace: 60s\n');
    vigil.child.kill('SIGTERM');
    // Later than the window in which a relayed copy of the first signal is ignored.
    await sleep(1_500);
    expect((await get(vigil.port, '/readyz', false)) as unknown, vigil.output()).toMatchObject({ status: 503 });
    const secondAt = Date.now();
    vigil.child.kill('SIGTERM');
    const code = await vigil.exited;
    expect(Date.now() - secondAt).toBeLessThan(5_000);
    expect(code).toBe(1);
    expect(vigil.output()).toContain('again; exiting without waiting');
  }, START_LIMIT_MS + 30_000);
});
