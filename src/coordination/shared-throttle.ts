// The authentication throttle shared by every replica on one store: failures are counted in
// PostgreSQL (vigil_auth_failures, one row per client address and window) and each new count is
// NOTIFYed, so every replica refuses an address as soon as the shared count reaches the limit.
// Checks read a local mirror (no store round trip per request); a failure is recorded in the
// store before its answer goes out. If the store fails, counting goes on locally.
import type { Throttle } from '../identity/throttle.ts';
import { createThrottle } from '../identity/throttle.ts';
import type { Query } from './lease-sql.ts';

/** NOTIFY channel of failure counts (payload: `{key, failures, remainingMs}`). */
export const THROTTLE_CHANNEL = 'vigil_throttle';
/** Rows of windows over for this long are deleted (now and then, by whoever records). */
const CLEANUP_EVERY_FAILURES = 100;

export interface SharedThrottleInput {
  readonly query: Query;
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly now: () => number;
  readonly onStoreError: (message: string) => void;
}

export interface SharedThrottle extends Throttle {
  /** A count published by any replica (this one included). */
  onNotification(payload: string): void;
}

interface Window {
  failures: number;
  /** this process's clock (ms) at which the window ends */
  endsAt: number;
}

export function createSharedThrottle(input: SharedThrottleInput): SharedThrottle {
  const { query, maxFailures, windowMs, now } = input;
  const mirror = new Map<string, Window>();
  // Used while the store cannot be reached: this replica's own counting, as without replicas.
  const fallback = createThrottle({ maxFailures, windowMs, now });
  let recorded = 0;

  const current = (key: string): Window | undefined => {
    const window = mirror.get(key);
    if (window && window.endsAt <= now()) {
      mirror.delete(key);
      return undefined;
    }
    return window;
  };

  const adopt = (key: string, failures: number, remainingMs: number): void => {
    const known = current(key);
    const endsAt = now() + Math.max(0, remainingMs);
    // Counts only grow within a window; a smaller one is an older notification.
    if (known && known.failures >= failures && Math.abs(known.endsAt - endsAt) < windowMs / 2) return;
    mirror.set(key, { failures, endsAt });
    if (mirror.size > 10_000) for (const [k, w] of mirror) if (w.endsAt <= now()) mirror.delete(k);
  };

  return {
    isThrottled(ip) {
      return (current(ip)?.failures ?? 0) >= maxFailures || fallback.isThrottled(ip);
    },
    retryAfterMs(ip) {
      const window = current(ip);
      const shared = window && window.failures >= maxFailures ? Math.max(0, window.endsAt - now()) : 0;
      return Math.max(shared, fallback.retryAfterMs(ip));
    },
    async recordFailure(ip) {
      const ms = `${Math.max(1, Math.round(windowMs))} milliseconds`;
      try {
        const [row] = await query<{ failures: number; remaining_ms: number }>(
          `WITH counted AS (
             INSERT INTO vigil_auth_failures AS f (key, window_start, failures) VALUES ($1, now(), 1)
             ON CONFLICT (key) DO UPDATE SET
               failures = CASE WHEN f.window_start <= now() - $2::interval THEN 1 ELSE f.failures + 1 END,
               window_start = CASE WHEN f.window_start <= now() - $2::interval THEN now() ELSE f.window_start END
             RETURNING key, failures, (extract(epoch FROM f.window_start + $2::interval - now()) * 1000)::float8 AS remaining_ms
           )
           SELECT failures, remaining_ms,
                  pg_notify('${THROTTLE_CHANNEL}', json_build_object('key', key, 'failures', failures, 'remainingMs', remaining_ms)::text)
           FROM counted`,
          [ip, ms],
        );
        if (row) adopt(ip, row.failures, row.remaining_ms);
        recorded += 1;
        if (recorded % CLEANUP_EVERY_FAILURES === 0) {
          await query(`DELETE FROM vigil_auth_failures WHERE window_start < now() - $1::interval`, [ms]);
        }
      } catch (error) {
        fallback.recordFailure(ip);
        input.onStoreError(error instanceof Error ? error.message : String(error));
      }
    },
    onNotification(payload) {
      try {
        const { key, failures, remainingMs } = JSON.parse(payload) as { key?: unknown; failures?: unknown; remainingMs?: unknown };
        if (typeof key === 'string' && typeof failures === 'number' && typeof remainingMs === 'number') adopt(key, failures, remainingMs);
      } catch {
        // not ours
      }
    },
  };
}
