// Vigil replica processes (src/main.ts under tsx) for tests of several replicas on one store.
// Only the processes started here are ever signalled, by their own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_LIMIT_MS = 150_000;

export interface ReplicaProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** kill -9: no shutdown, leases left to lapse. */
  crash(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but runs nothing. */
  freeze(): void;
  thaw(): void;
  /** SIGTERM and wait for the exit (an orderly shutdown). */
  stop(): Promise<void>;
  output(): string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `src/main.ts` with the YAML `config(port)` written to `dir`; resolves once it listens. */
export async function startReplica(name: string, dir: string, config: (port: number) => string): Promise<ReplicaProcess> {
  const port = await freePort();
  const file = join(dir, `${name}-${port}.yaml`);
  writeFileSync(file, config(port));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts'), '--config', file], {
    cwd: ROOT,
    env: { ...process.env, VIGIL_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + START_LIMIT_MS;
  while (!log.includes('vigil listening')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`replica ${name} exited at start: ${log.slice(-3_000)}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`replica ${name} did not start: ${log.slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    name,
    port,
    url,
    async crash() {
      child.kill('SIGKILL');
      await exited(child);
    },
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      child.kill('SIGCONT');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited(child);
      clearTimeout(force);
    },
    output: () => log,
  };
}
