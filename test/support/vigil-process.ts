// A Vigil (or any) child process a test starts itself: its output collected, a wait for a
// line, its exit as a promise. Only this child is ever signalled, by its own pid (or, for a
// `group` child, its own process group: npm start's shell and node below it).
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TestProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ChildExit>;
  /** Resolves with the first output line matching `pattern`; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Signals the child (its group when started with `group`). */
  signal(signal: NodeJS.Signals): void;
  /** Everything written to stdout and stderr so far, for a failing test's message. */
  output(): string;
}

export interface StartProcessInput {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Own process group, so `signal` reaches the whole tree (e.g. npm -> sh -> node). */
  readonly group?: boolean;
}

const started = new Set<TestProcess>();
process.once('exit', () => {
  for (const proc of started) proc.signal('SIGKILL');
});

export function startProcess(input: StartProcessInput): TestProcess {
  const child = spawn(input.file, [...input.args], { cwd: input.cwd, env: { ...input.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: input.group ?? false });
  let output = '';
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  let pending = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const proc: TestProcess = {
    child,
    exited,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((exit) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`exited (${exit.code ?? exit.signal}) before a line matching ${pattern}; output:\n${output}`));
        });
      });
    },
    signal(signal) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        if (input.group) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    },
    output: () => output,
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}
