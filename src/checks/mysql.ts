// MySQL and MariaDB: a small mysql2 pool per source runs the configured test query and reports
// its latency, the server version and the pool's statistics.
import mysql from 'mysql2/promise';
import { appMigrationsOption, MYSQL_DIALECT, readAppMigrationsSettings, readAppMigrationStatus, type AppMigrationStatus } from './app-migrations.ts';
import type { SqlDetails } from './details.ts';
import { createLazyClient } from './lazy-client.ts';
import { backstopMs, elapsedMs, onAbort, phasesOf } from './probe.ts';
import { kindOptions, readOptions } from './options.ts';
import { plainRow, readSqlSettings, sqlOptions } from './sql-pool.ts';
import type { Check, SourceDefinition } from './types.ts';

const MYSQL = { protocols: ['mysql:', 'mariadb:'], defaultPort: 3306 } as const;

export const mysqlOptions = kindOptions(
  'A MySQL or MariaDB server: runs the test query on a small pool and reports its latency, the server version, the first row and the pool\'s statistics.',
  { ...sqlOptions(MYSQL, 'the MySQL or MariaDB server'), ...appMigrationsOption },
);

/** mysql2 returns BIGINT and (with decimalNumbers) DECIMAL as numbers: no column needs converting. */
const NO_TEXT_NUMBERS: ReadonlySet<string> = new Set();

/** mysql2 keeps its pool's queues private; these are the only fields the statistics read. */
interface CorePoolQueues {
  readonly _allConnections?: { readonly length: number };
  readonly _freeConnections?: { readonly length: number };
  readonly _connectionQueue?: { readonly length: number };
}

/** The server's version from the connection handshake (mysql2 keeps it on a private field). */
function handshakeVersion(connection: mysql.PoolConnection): string | undefined {
  const core = connection.connection as unknown as { _handshakePacket?: { serverVersion?: unknown } };
  const version = core._handshakePacket?.serverVersion;
  // MariaDB prefixes "5.5.5-" for the sake of old replication clients.
  return typeof version === 'string' ? version.replace(/^5\.5\.5-/, '') : undefined;
}

export function createMysqlCheck(def: SourceDefinition): Check<'mysql'> {
  const read = readOptions(def, mysqlOptions);
  const settings = readSqlSettings(def, read, MYSQL);
  const migrationsSettings = readAppMigrationsSettings(def, read.migrations);
  const { endpoint } = settings;
  const versions = new WeakMap<object, string>();
  const backstop = backstopMs(def.timeoutMs);

  const pools = createLazyClient<mysql.Pool>({
    maxAgeMs: settings.maxConnectionAgeMs,
    create: async () =>
      mysql.createPool({
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.user !== undefined ? { user: endpoint.user } : {}),
        ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
        ...(settings.database !== undefined ? { database: settings.database } : {}),
        connectionLimit: settings.poolMax,
        connectTimeout: backstop,
        waitForConnections: true,
        // Keep the probe's connection between runs: the pool is the long-lived client.
        maxIdle: settings.poolMax,
        idleTimeout: Math.max(60_000, def.intervalMs * 3),
        enableKeepAlive: true,
        decimalNumbers: true,
      }),
    destroy: (pool) => pool.end(),
  });

  async function serverVersion(connection: mysql.PoolConnection, signal: AbortSignal): Promise<string> {
    const core = connection.connection as object;
    const known = versions.get(core) ?? handshakeVersion(connection);
    if (known !== undefined) return known;
    // Only when the handshake field is gone (a future mysql2): ask once per connection.
    const [rows] = await connection.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS version', timeout: backstop });
    const version = String(rows[0]?.['version'] ?? '');
    if (!signal.aborted) versions.set(core, version);
    return version;
  }

  return {
    kind: 'mysql',
    async run(signal) {
      const phase = phasesOf('mysql', signal, endpoint.secrets);
      const pool = await phase('connect', () => pools.get());
      const connection = await phase('connect', () => pool.getConnection(), (late) => late.destroy());
      let broken = false;
      // Past the deadline, destroy the socket at once: the server may never answer.
      const stopWatching = onAbort(signal, () => {
        broken = true;
        connection.destroy();
      });
      let rows: unknown;
      let queryLatency: number;
      let version: string;
      let migrations: AppMigrationStatus | undefined;
      try {
        const started = performance.now();
        [rows] = await phase('query', () => connection.query({ sql: settings.query, timeout: backstop }));
        queryLatency = elapsedMs(started);
        version = await phase('version', () => serverVersion(connection, signal));
        if (migrationsSettings) {
          const query = async (sql: string) => ({ rows: (await connection.query<mysql.RowDataPacket[]>({ sql, timeout: backstop }))[0] });
          migrations = await phase('migrations', () => readAppMigrationStatus(query, migrationsSettings, MYSQL_DIALECT));
        }
      } catch (error) {
        broken = true;
        throw error;
      } finally {
        stopWatching();
        if (broken) connection.destroy();
        else connection.release();
      }

      // A CALL answers its result sets followed by a status header: report the first set.
      const resultSet: unknown = Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0] : rows;
      const firstRow: unknown = Array.isArray(resultSet) ? resultSet[0] : undefined;
      const queues = pool.pool as unknown as CorePoolQueues;
      const total = queues._allConnections?.length ?? 0;
      const idle = queues._freeConnections?.length ?? 0;
      const details: SqlDetails = {
        server_version: version,
        query_latency_ms: queryLatency,
        pool: {
          size: settings.poolMax,
          total,
          checked_in: idle,
          checked_out: total - idle,
          waiting: queues._connectionQueue?.length ?? 0,
        },
        first_row: plainRow(firstRow, NO_TEXT_NUMBERS),
        ...(migrations ? { migrations } : {}),
      };
      return { details: { ...details } };
    },
    async reset() {
      pools.discard();
    },
    close: () => pools.close(),
  };
}
