// When each source runs first. Starting every source at the same instant stalls the event loop
// with thousands of sources (every first result a `timeout`); instead each source gets a fixed
// phase, derived from its name so it is the same on every start and every replica.

/** First runs per second the spread aims at; fewer sources than this all start within a second. */
export const FIRST_RUNS_PER_SECOND = 1_000;

/** A stable fraction in [0, 1) from a name (FNV-1a, then murmur3's finaliser so `src-1`, `src-2`... scatter). */
export function phaseOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/**
 * Delay of a source's first run: its phase times a window of `sourceCount / firstRunsPerSecond`
 * seconds, never longer than its own interval. 20 sources start within 20 ms; 20,000 sources at
 * a 10 s interval are spread over the whole interval, and stay spread (runs are fixed-rate).
 */
export function firstRunDelayMs(name: string, intervalMs: number, sourceCount: number, firstRunsPerSecond = FIRST_RUNS_PER_SECOND): number {
  const windowMs = Math.min(intervalMs, (sourceCount / firstRunsPerSecond) * 1_000);
  return Math.floor(phaseOf(name) * windowMs);
}
