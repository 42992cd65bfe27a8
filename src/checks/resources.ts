// `resources`: the host's CPU use (os.cpus() deltas) and memory (/proc/meminfo MemAvailable,
// which counts reclaimable cache, unlike os.freemem(); os.freemem() is the fallback).
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResourcesDetails } from './details.ts';
import { kindOptions, option, readOptions } from './options.ts';
import type { Check, CheckOutcome, SourceDefinition } from './types.ts';

interface CpuSample {
  readonly at: number;
  readonly idle: number;
  readonly total: number;
}

function sampleCpu(): CpuSample {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { at: performance.now(), idle, total };
}

function cpuUsedPercent(from: CpuSample, to: CpuSample): number {
  const total = to.total - from.total;
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, (1 - (to.idle - from.idle) / total) * 100));
}

/** Total and available memory in bytes. */
async function memory(): Promise<{ total: number; available: number }> {
  try {
    const text = await readFile('/proc/meminfo', 'utf8');
    const kib = (field: string): number | undefined => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
      return match?.[1] ? Number(match[1]) * 1024 : undefined;
    };
    const total = kib('MemTotal');
    const available = kib('MemAvailable');
    if (total && available !== undefined) return { total, available };
  } catch {
    // Not Linux (or no /proc): fall through.
  }
  return { total: os.totalmem(), available: os.freemem() };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

export const resourcesOptions = kindOptions(
  "This host's CPU and memory: CPU used %, memory available MB and used %; above a threshold the source is degraded.",
  {
    cpu_sample_ms: option.number(250, 'Milliseconds over which the first run measures the CPU (later runs average since the previous one); at most half the timeout.'),
    cpu_degraded_percent: option.optionalNumber('CPU used % above which the source is degraded (default: never).'),
    memory_degraded_percent: option.optionalNumber('Memory used % above which the source is degraded (default: never).'),
    memory_min_available_mb: option.number(0, 'Available memory (MB) below which the source is degraded.'),
  },
);

export function createResourcesCheck(def: SourceDefinition): Check<'resources'> {
  const read = readOptions(def, resourcesOptions);
  // The CPU figure is the average since the previous run; the first run (or one coming sooner
  // than this) measures over a sample of this length instead.
  const sampleMs = Math.max(10, Math.min(read.cpu_sample_ms, def.timeoutMs / 2));
  const cpuDegradedPercent = read.cpu_degraded_percent ?? Number.POSITIVE_INFINITY;
  const memoryDegradedPercent = read.memory_degraded_percent ?? Number.POSITIVE_INFINITY;
  const memoryMinAvailableMb = read.memory_min_available_mb;
  let previous: CpuSample | undefined;

  return {
    kind: 'resources',
    async run(signal): Promise<CheckOutcome<ResourcesDetails>> {
      let from = previous;
      if (!from || performance.now() - from.at < sampleMs) {
        from = sampleCpu();
        await delay(sampleMs, undefined, { signal });
      }
      const to = sampleCpu();
      previous = to;
      const mem = await memory();
      const details = {
        cpu_used_percent: round1(cpuUsedPercent(from, to)),
        memory_available_mb: Math.round(mem.available / (1024 * 1024)),
        memory_used_percent: round1(((mem.total - mem.available) / mem.total) * 100),
      } satisfies ResourcesDetails;

      const problems: string[] = [];
      if (details.cpu_used_percent >= cpuDegradedPercent) problems.push(`CPU ${details.cpu_used_percent}% used`);
      if (details.memory_used_percent >= memoryDegradedPercent) problems.push(`memory ${details.memory_used_percent}% used`);
      if (details.memory_available_mb < memoryMinAvailableMb) problems.push(`only ${details.memory_available_mb} MB memory available`);
      if (problems.length > 0) return { status: 'degraded', message: `resources: ${problems.join(', ')}`, details };
      return { details };
    },
    async close() {
      // Nothing long-lived.
    },
  };
}
