// The PostgreSQL backend: a small `pg` pool. Errors are redacted before they leave here,
// because `pg` may echo the user name or host of the connection string.
import pg from 'pg';
import type { Logger } from 'pino';
import { displayUrl, safeErrorMessage } from '../shared/redact.ts';
import { StoreError, type Driver, type TransactionClient } from './driver.ts';

export interface PostgresDriverInput {
  readonly url: string;
  readonly logger: Logger;
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
}

/** An Error whose message is safe to log and show: no password, no URL credentials. */
export function storeError(context: string, error: unknown, url: string): StoreError {
  const password = safePassword(url);
  return new StoreError(`store (${displayUrl(url)}): ${context}: ${safeErrorMessage(error, [password])}`, error);
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

export async function createPostgresDriver(input: PostgresDriverInput): Promise<Driver> {
  const pool = new pg.Pool({
    connectionString: input.url,
    max: input.maxConnections ?? 5,
    connectionTimeoutMillis: input.connectTimeoutMs ?? 5_000,
    query_timeout: input.queryTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    application_name: 'vigil',
  });
  // An idle client that loses its connection emits here; without a listener it crashes the process.
  pool.on('error', (error) => {
    input.logger.warn({ err: storeError('idle connection failed', error, input.url).message }, 'store connection error');
  });
  // A query that outlived query_timeout leaves its answer on the wire; when a hung server
  // recovers, pg emits 'error' on that (already released) client, where no listener may be
  // left: every client keeps one, so a store that comes back never crashes the process.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });

  const query = async <Row extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
    try {
      const result = await pool.query(sql, params as unknown[]);
      return result.rows as Row[];
    } catch (error) {
      throw storeError('query failed', error, input.url);
    }
  };

  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw storeError('cannot connect', error, input.url);
  }

  let closed = false;
  return {
    backend: 'postgres',
    query,
    async transaction<T>(work: (tx: TransactionClient) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw storeError('cannot connect', error, input.url);
      }
      const tx: TransactionClient = {
        query: async <Row extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
          try {
            const result = await client.query(sql, params as unknown[]);
            return result.rows as Row[];
          } catch (error) {
            throw storeError('query failed', error, input.url);
          }
        },
        exec: async (sql: string) => {
          try {
            await client.query(sql);
          } catch (error) {
            throw storeError('statement failed', error, input.url);
          }
        },
      };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const value = await work(tx);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        // A client whose ROLLBACK failed is in an unknown state: destroy it, don't pool it.
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
