// The server side of server-process.ts: announce the URL, answer memory requests.
import type { BenchCommand, ServerMessage } from '../server-process.ts';

function send(message: ServerMessage): void {
  process.send?.(message);
}

/** The JSON options the bench passed as the one argument. */
export function benchOptions<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function serveBench(url: string, stop: () => Promise<void>): void {
  send({ type: 'ready', url, pid: process.pid });
  process.on('message', (command: BenchCommand) => {
    if (command.type !== 'memory') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: 'memory', rssBytes: rss, heapUsedBytes: heapUsed });
  });
  const finish = () => void stop().finally(() => process.exit(0));
  process.once('SIGTERM', finish);
  process.once('disconnect', finish);
}

export function failBench(error: unknown): never {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
