// wrk (Debian's package) as the load generator: installed when missing, pinned to its own core,
// its report parsed into req/s and latency percentiles.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkInput {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly seconds: number;
  /** CPU the load runs on (the server is pinned to another). */
  readonly cpu: number;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Non-2xx/3xx answers plus socket errors; a flood that gets errors measures nothing. */
  readonly failures: number;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs wrk (and taskset's util-linux) with apt-get when they are missing. */
export function ensureWrk(): void {
  if (has('wrk') && has('taskset')) return;
  console.log('installing wrk from Debian (apt-get) ...');
  for (const args of [['update'], ['install', '-y', 'wrk', 'util-linux']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed; install wrk yourself (apt-get install wrk)`);
  }
}

/** wrk's "1.23ms", "456.00us", "2.01s" -> milliseconds. */
export function parseDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1_000 : match[2] === 'ms' ? value : match[2] === 's' ? value * 1_000 : value * 60_000;
}

export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const total = /(\d+) requests in/.exec(output);
  const percentile = (p: string) => {
    const line = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output);
    return line ? parseDuration(line[1] as string) : Number.NaN;
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  if (!rps || !total) throw new Error(`cannot read wrk's report:\n${output}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: Number(total[1]),
    failures: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}

export async function wrk(input: WrkInput): Promise<WrkResult> {
  const url = new URL(input.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to load ${url.origin}: only 127.0.0.1`);
  const headers = Object.entries(input.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const args = ['-c', String(input.cpu), 'wrk', '-t1', `-c${input.connections}`, `-d${input.seconds}s`, '--latency', ...headers, input.url];
  const { stdout } = await run('taskset', args, { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}
