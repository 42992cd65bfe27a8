// The parent side of the load generator: one forked process, reused for every flood, that
// runs `flood()` on request and answers with its result.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FloodInput, FloodResult } from './load.ts';

export interface LoadRequest {
  readonly id: number;
  readonly input: FloodInput;
}

export type LoadReply =
  | { readonly id: number; readonly ready: true }
  | { readonly id: number; readonly result: FloodResult }
  | { readonly id: number; readonly error: string };

export interface LoadGenerator {
  run(input: FloodInput): Promise<FloodResult>;
  /** Ends the process (by its own handle). Safe to call twice. */
  close(): Promise<void>;
}

interface Pending {
  resolve(result: FloodResult): void;
  reject(error: Error): void;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  // fork() passes this process's node flags (`--import tsx`) on, so the child runs TypeScript.
  const child = fork(fileURLToPath(new URL('./load-process.ts', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let ready: (() => void) | undefined;
  const readyPromise = new Promise<void>((resolve) => {
    ready = resolve;
  });

  child.on('message', (message: LoadReply) => {
    if ('ready' in message) return ready?.();
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if ('result' in message) waiter?.resolve(message.result);
    else waiter?.reject(new Error(`load generator: ${message.error}`));
  });
  const died = exited(child).then(() => {
    const error = new Error(`the load generator exited (code ${child.exitCode}, signal ${child.signalCode})`);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
    throw error;
  });
  died.catch(() => undefined);
  await Promise.race([readyPromise, died]);

  let closing: Promise<void> | undefined;
  return {
    run(input) {
      if (!child.connected) return Promise.reject(new Error('the load generator is not running'));
      const id = nextId++;
      return new Promise<FloodResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, input } satisfies LoadRequest);
      });
    },
    close() {
      closing ??= (async () => {
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited(child);
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
