// How many probes a private dependency has answered, read from the dependency itself (not
// from Vigil), so a handler that secretly probed would show up.
import { Redis } from 'ioredis';
import type { PrivateDatabase } from '../../test/support/pg-database.ts';

export interface ProbeCounter {
  /** The dependency, as the report names it. */
  readonly name: string;
  /** What is counted, for the report. */
  readonly counts: string;
  read(): Promise<number>;
  close(): Promise<void>;
}

/** `cmdstat_ping` calls of a private redis-server: one per Vigil redis probe. */
export function redisPingCounter(name: string, port: number): ProbeCounter {
  // This client only sends INFO, which cmdstat_ping does not count.
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: 5_000 });
  redis.on('error', () => undefined);
  return {
    name,
    counts: 'INFO commandstats cmdstat_ping calls',
    async read() {
      if (redis.status === 'wait') await redis.connect();
      const info = await redis.info('commandstats');
      // No line at all until the first PING.
      const calls = /^cmdstat_ping:calls=(\d+)/m.exec(info);
      return calls ? Number(calls[1]) : 0;
    },
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * A sequence that the source's test query advances (`SELECT nextval(...)`): one step per
 * query Vigil runs, counted exactly and at once (pg_stat_database lags by up to seconds).
 */
export async function postgresQueryCounter(name: string, db: PrivateDatabase, sequence: string): Promise<ProbeCounter> {
  await db.query(`CREATE SEQUENCE IF NOT EXISTS "${sequence}"`);
  return {
    name,
    counts: `test query runs (sequence ${sequence})`,
    async read() {
      const [row] = await db.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM "${sequence}"`);
      return row?.is_called ? Number(row.last_value) : 0;
    },
    async close() {
      // The database itself is dropped by its owner.
    },
  };
}

/** The test query that makes every Vigil probe advance the counter. */
export function countingTestQuery(sequence: string): string {
  return `SELECT nextval('"${sequence}"') AS probes`;
}
