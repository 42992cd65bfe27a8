// The scale scenario: 20,000 `http` sources at a 10 s interval against a healthy local target,
// Vigil on one core. Results are read from /metrics, schedule lag from the target's own record
// of when each source's probes arrived, RSS from /proc, and the public API is flooded meanwhile.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { PrivateDatabase } from '../../test/support/pg-database.ts';
import { freePort } from '../../test/support/ports.ts';
import { percentile } from './report.ts';
import { NODE_FLAGS } from '../../src/node-flags.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { wrk, type WrkResult } from './wrk.ts';

export const SCALE_SOURCES = Number(process.env.VIGIL_BENCH_SOURCES ?? 20_000);
const INTERVAL_MS = 10_000;
/** Floods of the public API while probing: rounds of each path in turn, 4 s each; medians reported. */
const API_PATHS = ['/livez', '/health'] as const;
const API_ROUNDS = 3;
const API_ROUND_SECONDS = 4;
/** How long Vigil probes before the figures are read: two intervals, the floods, and a margin. */
const OBSERVE_MS = 2 * INTERVAL_MS + API_PATHS.length * API_ROUNDS * API_ROUND_SECONDS * 1_000 + 4_000;

export interface ScaleInput {
  readonly dir: string;
  readonly db: PrivateDatabase;
  readonly serverCpu: number;
  readonly loadCpu: number;
  /** Started processes are added here so the bench's clean-up stops them on any failure. */
  readonly servers: ServerProcess[];
}

export interface ScaleFigures {
  readonly sources: number;
  readonly intervalS: number;
  readonly ok: number;
  readonly timeouts: number;
  readonly other: number;
  readonly gaps: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly maxRssBytes: number;
  /** Heap in use after two forced GCs, at the end: how much of the RSS is live JS objects. */
  readonly heapUsedBytes: number;
  /** RSS after those GCs, at the end (the max above may be a start-up peak). */
  readonly endRssBytes: number;
  readonly api: readonly { readonly path: string; readonly result: WrkResult; readonly perCpuSecond: number }[];
}

/** Per-source status from /metrics' one-hot vigil_source_status. */
export function statusCounts(metrics: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of metrics.matchAll(/^vigil_source_status\{[^}]*status="(\w+)"\} 1$/gm)) {
    const status = match[1] as string;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/** The round of median CPU-normalised rate, with the medians of its figures across rounds. */
function medianRound(runs: readonly { result: WrkResult; perCpuSecond: number }[]): { result: WrkResult; perCpuSecond: number } {
  const middle = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const first = runs[0] as { result: WrkResult; perCpuSecond: number };
  return {
    perCpuSecond: middle(runs.map((run) => run.perCpuSecond)),
    result: {
      ...first.result,
      requestsPerSecond: middle(runs.map((run) => run.result.requestsPerSecond)),
      p50Ms: middle(runs.map((run) => run.result.p50Ms)),
      p99Ms: middle(runs.map((run) => run.result.p99Ms)),
      failures: runs.reduce((sum, run) => sum + run.result.failures, 0),
      requests: runs.reduce((sum, run) => sum + run.result.requests, 0),
    },
  };
}

export async function runScaleScenario(input: ScaleInput): Promise<ScaleFigures> {
  const target = await startServerProcess({ script: 'probe-target', cpu: input.loadCpu, options: { ignoreFirstMs: 0 } });
  input.servers.push(target);
  const sources = Array.from({ length: SCALE_SOURCES }, (_, i) => ({
    name: `s-${i}`,
    kind: 'http',
    url: `${target.url}/s/${i}`,
    interval: `${INTERVAL_MS}ms`,
    timeout: '2s',
    retries: 0,
    critical: false,
  }));
  const config = {
    server: { host: '127.0.0.1', port: await freePort() },
    // One Vigil, as the scale target is stated: replicas' coordination (a store write per
    // result) is a different scenario, not measured here.
    store: { url: input.db.url, coordination: { enabled: false } },
    log: { level: 'info' },
    sources,
    families: { health: { services: ['s-0', 's-1'] } },
  };
  const configPath = path.join(input.dir, 'scale.yaml');
  await writeFile(configPath, stringify(config));
  const vigil = await startServerProcess({ script: 'vigil.mjs', cpu: input.serverCpu, options: { configPath }, startTimeoutMs: 300_000, nodeFlags: NODE_FLAGS });
  input.servers.push(vigil);
  const started = performance.now();
  let maxRssBytes = 0;
  const sampler = setInterval(() => {
    void vigil.rssBytes().then((rss) => (maxRssBytes = Math.max(maxRssBytes, rss)), () => undefined);
  }, 500);
  try {
    // Two intervals in: every source has run at least twice; flood the public API meanwhile,
    // in interleaved rounds (as the request bench does): one 4 s flood met a history flush
    // or a major collection, or not, and one run's figure swung by a third.
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_MS));
    const rounds = new Map<string, { result: WrkResult; perCpuSecond: number }[]>(API_PATHS.map((apiPath) => [apiPath, []]));
    for (let round = 0; round < API_ROUNDS; round += 1) {
      for (const apiPath of API_PATHS) {
        const cpuBefore = await vigil.cpuSeconds();
        const result = await wrk({ url: `${vigil.url}${apiPath}`, connections: 50, seconds: API_ROUND_SECONDS, cpu: input.loadCpu });
        const cpu = (await vigil.cpuSeconds()) - cpuBefore;
        rounds.get(apiPath)?.push({ result, perCpuSecond: result.requests / Math.max(cpu, 0.01) });
      }
    }
    const api = API_PATHS.map((apiPath) => ({ path: apiPath, ...medianRound(rounds.get(apiPath) ?? []) }));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OBSERVE_MS - (performance.now() - started))));
    const metrics = await (await fetch(`${vigil.url}/metrics`)).text();
    const counts = statusCounts(metrics);
    const gapsReply = (await target.ask('gaps')) as unknown as { gapsMs: number[] };
    const logged = (await vigil.ask('log-counts')) as unknown as { timeouts: number };
    const memory = await vigil.memory();
    const lags = gapsReply.gapsMs.map((gap) => gap - INTERVAL_MS);
    const ok = counts.ok ?? 0;
    // Any result that turned `timeout` is logged (a change of status): counted over the whole run.
    const timeouts = Math.max(counts.timeout ?? 0, logged.timeouts);
    return {
      sources: SCALE_SOURCES,
      intervalS: INTERVAL_MS / 1_000,
      ok,
      timeouts,
      other: Object.values(counts).reduce((sum, n) => sum + n, 0) - ok - timeouts,
      gaps: lags.length,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      maxRssBytes,
      heapUsedBytes: memory.heapUsedBytes,
      endRssBytes: memory.rssBytes,
      api,
    };
  } finally {
    clearInterval(sampler);
    for (const server of [vigil, target]) {
      await server.stop();
      input.servers.splice(input.servers.indexOf(server), 1);
    }
  }
}
