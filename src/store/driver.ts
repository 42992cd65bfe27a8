// What the store needs from a backend: parameterised queries, multi-statement SQL inside a
// transaction (for migrations), and close. `pg` and PGlite both implement it; SQL is shared.
import type { Store } from './types.ts';

export interface TransactionClient {
  readonly query: Store['query'];
  /** Multi-statement SQL without parameters (a migration file). */
  exec(sql: string): Promise<void>;
}

export interface Driver {
  readonly backend: Store['backend'];
  readonly query: Store['query'];
  /** BEGIN, `work`, COMMIT; ROLLBACK and rethrow when `work` throws. */
  transaction<T>(work: (tx: TransactionClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A failed store operation. The message is safe to log (redacted); `code` is the SQLSTATE
 * when the database gave one (e.g. `23505` unique violation), so callers can react to it.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: string | undefined;

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

export const UNIQUE_VIOLATION = '23505';
