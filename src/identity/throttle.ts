// Failed authentications counted per client address and per account (a username, an API key's
// id, the Hasura admin secret), with rate-limiter-flexible: `maxFailures` failures from one
// address, or `maxAccountFailures` against one account, within `windowMs` and that address or
// account is answered 429 for the rest of the window. The per-account count stops many
// addresses guessing one password together; the per-address one, one address guessing many.
//
// Where the counts live: in memory with the embedded store (one process by nature); in the
// PostgreSQL store when `storeUrl` is set, so every replica counts towards one limit (table
// vigil_auth_throttle, migration 0008; rate-limiter-flexible's Postgres backend on a small pool
// of its own). Each store call is bounded by `storeTimeoutMs`; when the store fails or hangs,
// this process goes on counting in memory (the library's insurance limiter) instead of failing
// the request.
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';

/** What a failure is counted against. */
export interface ThrottleKeys {
  readonly ip: string;
  /** `user:<name>`, `key:<id>` or `hasura`; absent when the credential names no account. */
  readonly account?: string;
}

export interface Throttle {
  /** Milliseconds until the address and the account may both try again; 0 when neither is throttled. */
  blockedMs(keys: ThrottleKeys): Promise<number>;
  /** Counts one failure against both; resolves to blockedMs after it. */
  recordFailure(keys: ThrottleKeys): Promise<number>;
  close(): Promise<void>;
}

export interface ThrottleInput {
  readonly maxFailures: number;
  readonly maxAccountFailures: number;
  readonly windowMs: number;
  /** The store's PostgreSQL URL: counts are shared by every replica on it. Absent: in memory. */
  readonly storeUrl?: string;
  /** Longest wait on the store per call (auth.store_timeout). */
  readonly storeTimeoutMs?: number;
  /** The store could not be used; counting goes on in memory. Called at most once a minute. */
  readonly onStoreError?: (error: unknown) => void;
}

export const THROTTLE_TABLE = 'vigil_auth_throttle';

/** Account names of the credentials that carry one. */
export const throttleAccount = {
  user: (username: string) => `user:${username.slice(0, 200)}`,
  apiKey: (id: string) => `key:${id}`,
  hasura: 'hasura',
} as const;

function blockedFor(res: RateLimiterRes | null, limit: number): number {
  return res !== null && res.consumedPoints >= limit ? Math.max(1, res.msBeforeNext) : 0;
}

export function createThrottle(input: ThrottleInput): Throttle {
  const { maxFailures, maxAccountFailures } = input;
  // rate-limiter-flexible counts in seconds; fractions are kept (a window of 1500ms is 1.5 s).
  const duration = input.windowMs / 1000;
  let pool: pg.Pool | undefined;
  let storeClient: { query(query: pg.QueryConfig): Promise<pg.QueryResult> } | undefined;
  let lastStoreError = 0;

  const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!storeClient) return memory;
    // The library's insurance limiter takes over on every store error, timeouts included.
    const insurance = new RateLimiterMemory({ keyPrefix, points, duration });
    return new RateLimiterPostgres({
      storeClient,
      storeType: 'pool',
      tableName: THROTTLE_TABLE,
      tableCreated: true,
      keyPrefix,
      points,
      duration,
      insuranceLimiter: insurance,
    });
  };

  if (input.storeUrl) {
    const timeoutMs = input.storeTimeoutMs ?? 1_000;
    pool = new pg.Pool({
      connectionString: input.storeUrl,
      max: 2,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'vigil-throttle',
    });
    const reportError = (error: unknown): void => {
      if (Date.now() - lastStoreError < 60_000) return;
      lastStoreError = Date.now();
      input.onStoreError?.(error);
    };
    pool.on('error', reportError);
    // A late answer to a timed-out query makes pg emit 'error' on a released client (see
    // store/postgres.ts): every client keeps a listener so it cannot crash the process.
    pool.on('connect', (client) => client.on('error', reportError));
    // The library reports nothing when it falls back to memory: this wrapper tells us instead.
    const shared = pool;
    storeClient = {
      query: (query: pg.QueryConfig) =>
        shared.query(query).catch((error: unknown) => {
          reportError(error);
          throw error;
        }),
    };
  }

  const byAddress = limiter('ip', maxFailures);
  const byAccount = limiter('account', maxAccountFailures);

  const blockedMs = async ({ ip, account }: ThrottleKeys): Promise<number> => {
    const [address, named] = await Promise.all([byAddress.get(ip), account === undefined ? null : byAccount.get(account)]);
    return Math.max(blockedFor(address, maxFailures), blockedFor(named, maxAccountFailures));
  };

  return {
    blockedMs,
    async recordFailure({ ip, account }) {
      // penalty() adds a point without refusing: the count is what decides, in blockedMs.
      const [address, named] = await Promise.all([byAddress.penalty(ip), account === undefined ? null : byAccount.penalty(account)]);
      return Math.max(blockedFor(address, maxFailures), blockedFor(named, maxAccountFailures));
    },
    async close() {
      await pool?.end().catch(() => undefined);
    },
  };
}
