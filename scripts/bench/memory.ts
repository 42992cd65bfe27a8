// Memory figures of this process (Vigil's): RSS and V8 heap in use, optionally after a full GC.

export interface MemorySnapshot {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export const MIB = 1024 * 1024;

/** `global.gc` when node runs with --expose-gc, else undefined. */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as () => void) : undefined;
}

/** Collects twice, letting finalizers and pending callbacks run in between. */
export async function collectGarbage(gc: () => void): Promise<void> {
  for (let i = 0; i < 2; i += 1) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function memorySnapshot(): MemorySnapshot {
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}

export function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}
