// Run latencies kept as a fixed-bucket histogram per time bucket, so percentiles over any
// window cost one sum of small arrays and the store's size does not grow with the run count.
// A percentile is the upper bound of the bucket holding that rank (at most one bucket's width
// above the exact value), capped by the largest latency seen.

/** Upper bounds in milliseconds; the last bucket takes everything above the last bound. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];
export const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_SIZE).fill(0);
}

export function bucketIndex(latencyMs: number): number {
  let index = 0;
  while (index < LATENCY_BOUNDS_MS.length && !(latencyMs <= (LATENCY_BOUNDS_MS[index] as number))) index += 1;
  return index;
}

export function addHistograms(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: HISTOGRAM_SIZE }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

/** The `p`-th percentile (0 < p <= 100), or null for an empty histogram. */
export function percentile(histogram: readonly number[], p: number, maxMs: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_SIZE; i += 1) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return Math.min(LATENCY_BOUNDS_MS[i] ?? maxMs, maxMs);
  }
  return maxMs;
}
