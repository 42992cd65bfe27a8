import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createResourcesCheck } from '../../src/checks/resources.ts';
import { runCheck } from '../../src/checks/run-check.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { sourceDefinition } from '../support/source-states.ts';

function resourcesSource(options: Record<string, unknown> = {}) {
  const definition = { ...sourceDefinition('host', 'resources'), options };
  const check = createResourcesCheck(definition);
  return { check, run: () => runCheck(definition, check) };
}

async function memAvailableMb(): Promise<number> {
  const text = await readFile('/proc/meminfo', 'utf8');
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(text)?.[1]) / 1024;
}

/** Keeps one core busy for `ms` in a worker thread. */
function spin(ms: number): Promise<void> {
  const worker = new Worker(`const end = Date.now() + ${ms}; while (Date.now() < end) {}`, { eval: true });
  return new Promise((resolve, reject) => {
    worker.once('exit', () => resolve());
    worker.once('error', reject);
  });
}

describe('the resources check', () => {
  it('reports CPU and memory figures of this host', async () => {
    const result = await resourcesSource().run();
    expect(result.status).toBe('ok');
    const details = result.details as { cpu_used_percent: number; memory_available_mb: number; memory_used_percent: number };
    expect(details.cpu_used_percent).toBeGreaterThanOrEqual(0);
    expect(details.cpu_used_percent).toBeLessThanOrEqual(100);
    const available = await memAvailableMb();
    expect(Math.abs(details.memory_available_mb - available)).toBeLessThan(Math.max(256, available * 0.1));
    const totalMb = os.totalmem() / (1024 * 1024);
    expect(details.memory_used_percent).toBeCloseTo(((totalMb - details.memory_available_mb) / totalMb) * 100, 0);
  });

  it('sees a core kept busy between two runs in the CPU figure', async () => {
    const { run } = resourcesSource({ cpu_sample_ms: 100 });
    await run();
    await spin(600);
    const result = await run();
    // One busy core out of N is at least 100/N percent; everything else running only adds.
    expect(result.details?.cpu_used_percent).toBeGreaterThanOrEqual((100 / os.cpus().length) * 0.6);
  });

  it('measures its first run over a sample of cpu_sample_ms', async () => {
    const first = await resourcesSource({ cpu_sample_ms: 300 }).run();
    expect(first.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it.each([
    [{ memory_degraded_percent: 0 }, /^resources: memory [\d.]+% used$/],
    [{ memory_min_available_mb: 10_000_000 }, /^resources: only \d+ MB memory available$/],
    [{ cpu_degraded_percent: 0 }, /^resources: CPU [\d.]+% used$/],
  ])('with %j it is degraded', async (options, message) => {
    const result = await resourcesSource({ cpu_sample_ms: 20, ...options }).run();
    expect(result.status).toBe('degraded');
    expect(result.error).toMatch(message);
  });

  it('refuses a threshold that is not a number', () => {
    const definition = { ...sourceDefinition('host', 'resources'), options: { memory_degraded_percent: '90%' } };
    expect(() => createResourcesCheck(definition)).toThrow(CheckConfigError);
  });
});
