// A server under test in its own node process, pinned to one CPU with taskset, talking to the
// bench over IPC: it says where it listens, and reports its memory (after a forced GC) on request.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export type ServerMessage =
  | { readonly type: 'ready'; readonly url: string; readonly pid: number }
  | { readonly type: 'memory'; readonly rssBytes: number; readonly heapUsedBytes: number }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: string; readonly [field: string]: unknown };

export interface BenchCommand {
  readonly type: string;
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** RSS and heap after two forced GCs in the server. */
  memory(): Promise<{ rssBytes: number; heapUsedBytes: number }>;
  /** Sends `{ type }` and resolves with the server's next message. */
  ask(type: string): Promise<ServerMessage>;
  /** RSS of the process as the kernel counts it (/proc), without touching its event loop. */
  rssBytes(): Promise<number>;
  /** CPU seconds the process has used so far, user + system, every thread (/proc/<pid>/stat). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export interface ServerProcessInput {
  /** scripts/bench/servers/<name>.ts, or <name>.mjs (run without tsx) when given with the extension. */
  readonly script: string;
  readonly cpu: number;
  /** Passed as one JSON argument. */
  readonly options: unknown;
  readonly startTimeoutMs?: number;
  /** Extra node flags (Vigil's own, src/node-flags.ts, so the bench runs it as it ships). */
  readonly nodeFlags?: readonly string[];
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on every common build). */
const CLOCK_TICKS = 100;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServerProcess(input: ServerProcessInput): Promise<ServerProcess> {
  const plain = input.script.endsWith('.mjs');
  const script = fileURLToPath(new URL(`./servers/${plain ? input.script : `${input.script}.ts`}`, import.meta.url));
  const loader = plain ? [] : ['--import', 'tsx'];
  const child = spawn('taskset', ['-c', String(input.cpu), process.execPath, '--expose-gc', ...(input.nodeFlags ?? []), ...loader, script, JSON.stringify(input.options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters: ((message: ServerMessage) => void)[] = [];
  child.on('message', (message: ServerMessage) => waiters.shift()?.(message));
  const next = (timeoutMs: number, what: string) =>
    new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${input.script}: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      void exited(child).then(() => reject(new Error(`${input.script} exited (code ${child.exitCode})`)));
      waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(timer);
  };
  let ready: ServerMessage;
  try {
    ready = await next(input.startTimeoutMs ?? 60_000, 'start-up');
  } catch (error) {
    await stop();
    throw error;
  }
  if (ready.type !== 'ready') {
    await stop();
    throw new Error(`${input.script}: ${ready.type === 'error' ? String(ready.message) : 'unexpected message'}`);
  }
  const { url, pid } = ready as { url: string; pid: number };
  return {
    url,
    pid,
    async memory() {
      child.send({ type: 'memory' } satisfies BenchCommand);
      const reply = await next(30_000, 'memory report');
      if (reply.type !== 'memory') throw new Error(`${input.script}: unexpected reply to memory`);
      return { rssBytes: Number(reply.rssBytes), heapUsedBytes: Number(reply.heapUsedBytes) };
    },
    async ask(type) {
      child.send({ type } satisfies BenchCommand);
      return next(30_000, `answer to ${type}`);
    },
    async rssBytes() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
      return kb ? Number(kb[1]) * 1024 : Number.NaN;
    },
    async cpuSeconds() {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    stop,
  };
}
