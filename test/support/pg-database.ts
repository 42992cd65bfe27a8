// A private PostgreSQL database on the shared server for one test file: created with a random
// name, dropped (connections forced out) afterwards, so tests never see each other's tables.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The shared server's maintenance connection (trust auth on loopback). */
export const SHARED_PG_URL = process.env.VIGIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PrivateDatabase {
  readonly name: string;
  /** URL of the private database (no password: trust auth). */
  readonly url: string;
  query<Row extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Closes the helper's connection and drops the database. Safe to call twice. */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SHARED_PG_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createPrivateDatabase(prefix = 'vigil_t'): Promise<PrivateDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(SHARED_PG_URL, name);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  let dropped: Promise<void> | undefined;
  return {
    name,
    url,
    async query<Row extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, [...params]);
      return result.rows as Row[];
    },
    drop() {
      dropped ??= (async () => {
        await client.end().catch(() => undefined);
        await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      })();
      return dropped;
    },
  };
}
