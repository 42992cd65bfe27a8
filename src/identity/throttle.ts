// Per-client-address failure counter: after `maxFailures` failed authentications or logins
// within `windowMs`, that address is refused (429) until its window ends. In memory, per
// process; bounded so a flood of addresses cannot grow it without limit.
export interface Throttle {
  isThrottled(ip: string): boolean;
  /** Milliseconds until `ip` may try again (0 when it is not throttled). */
  retryAfterMs(ip: string): number;
  recordFailure(ip: string): void;
}

export interface ThrottleInput {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly now: () => number;
  /** Most addresses tracked at once; the oldest windows are dropped beyond it. */
  readonly maxTracked?: number;
}

export function createThrottle(input: ThrottleInput): Throttle {
  const windows = new Map<string, { start: number; failures: number }>();
  const maxTracked = input.maxTracked ?? 10_000;

  const current = (ip: string) => {
    const entry = windows.get(ip);
    if (entry && input.now() - entry.start >= input.windowMs) {
      windows.delete(ip);
      return undefined;
    }
    return entry;
  };

  const prune = () => {
    const at = input.now();
    for (const [ip, entry] of windows) if (at - entry.start >= input.windowMs) windows.delete(ip);
    // Maps iterate in insertion order: the first entries are the oldest windows.
    for (const ip of windows.keys()) {
      if (windows.size < maxTracked) break;
      windows.delete(ip);
    }
  };

  return {
    isThrottled(ip) {
      return (current(ip)?.failures ?? 0) >= input.maxFailures;
    },
    retryAfterMs(ip) {
      const entry = current(ip);
      if (!entry || entry.failures < input.maxFailures) return 0;
      return Math.max(0, entry.start + input.windowMs - input.now());
    },
    recordFailure(ip) {
      const entry = current(ip);
      if (entry) {
        entry.failures += 1;
        return;
      }
      if (windows.size >= maxTracked) prune();
      windows.set(ip, { start: input.now(), failures: 1 });
    },
  };
}
