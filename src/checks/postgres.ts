// PostgreSQL: a small pg Pool per source runs the configured test query (Hasura's test.sql)
// and reports its latency, the server version and the pool's statistics.
import pg from 'pg';
import { appMigrationsOption, POSTGRES_DIALECT, readAppMigrationsSettings, readAppMigrationStatus, type AppMigrationStatus } from './app-migrations.ts';
import type { SqlDetails } from './details.ts';
import { createLazyClient } from './lazy-client.ts';
import { backstopMs, elapsedMs, onAbort, phasesOf } from './probe.ts';
import { kindOptions, readOptions } from './options.ts';
import { plainRow, readSqlSettings, sqlOptions } from './sql-pool.ts';
import type { Check, CheckOutcome, SourceDefinition } from './types.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * pg reads the server's ParameterStatus messages but does not keep them; this client remembers
 * `server_version` as it arrives during connect, so no extra query is needed to report it.
 * (A subclass because pg's Pool builds clients with `new Client(config)`.)
 */
class VersionAwareClient extends pg.Client {
  serverVersion = '';
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.on('parameterStatus', (message: { parameterName?: string; parameterValue?: string }) => {
      if (message.parameterName === 'server_version') this.serverVersion = message.parameterValue ?? '';
    });
  }
}

const POSTGRES = { protocols: ['postgres:', 'postgresql:'], defaultPort: 5432 } as const;

export const postgresOptions = kindOptions(
  'A PostgreSQL server: connects, runs the test query, reports its latency, the server version and the first row. TLS follows the URL\'s `sslmode`: absent or `disable` is plain TCP, `no-verify` TLS without verifying the certificate, any other mode verified TLS.',
  { ...sqlOptions(POSTGRES, 'the PostgreSQL server'), ...appMigrationsOption },
);

/** TLS as asked by the URL's libpq-style `sslmode`; absent or `disable` means plain TCP. */
function sslFromUrl(url: URL | undefined): pg.ClientConfig['ssl'] {
  const mode = url?.searchParams.get('sslmode');
  if (!mode || mode === 'disable') return undefined;
  return mode === 'no-verify' ? { rejectUnauthorized: false } : true;
}

export function createPostgresCheck(def: SourceDefinition): Check<'postgres'> {
  const read = readOptions(def, postgresOptions);
  const settings = readSqlSettings(def, read, POSTGRES);
  const migrationsSettings = readAppMigrationsSettings(def, read.migrations);
  const { endpoint } = settings;
  const ssl = sslFromUrl(endpoint.url);
  const backstop = backstopMs(def.timeoutMs);
  const config: pg.PoolConfig = {
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.user !== undefined ? { user: endpoint.user } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
    ...(settings.database !== undefined ? { database: settings.database } : {}),
    ...(ssl !== undefined ? { ssl } : {}),
    max: settings.poolMax,
    // Backstops for a connect and for a statement the server would otherwise finish for nobody.
    connectionTimeoutMillis: backstop,
    statement_timeout: backstop,
    // Keep the probe's connection between runs: the pool is the long-lived client.
    idleTimeoutMillis: 0,
    application_name: 'vigil',
    Client: VersionAwareClient as unknown as pg.PoolConfig['Client'],
  };

  const pools = createLazyClient<pg.Pool>({
    maxAgeMs: settings.maxConnectionAgeMs,
    create: async () => {
      const pool = new pg.Pool(config);
      // An idle connection dropped by the server is removed by the pool; without a listener
      // its 'error' event would crash the process.
      pool.on('error', () => undefined);
      return pool;
    },
    destroy: (pool) => pool.end(),
  });

  return {
    kind: 'postgres',
    run: (signal) => runOnce(signal, true),
    async reset() {
      pools.discard();
    },
    close: () => pools.close(),
  };

  async function runOnce(signal: AbortSignal, mayRetry: boolean): Promise<CheckOutcome<SqlDetails>> {
    const phase = phasesOf('postgres', signal, endpoint.secrets);
    const pool = await phase('connect', () => pools.get());
    const client = await phase('connect', () => pool.connect(), (late) => late.release(true));
    const connection = (client as unknown as VersionAwareClient).connection;
    let broken = false;
    // Past the deadline, destroy the socket at once: the server may never answer.
    const stopWatching = onAbort(signal, () => {
      broken = true;
      connection.stream.destroy();
    });
    let result!: pg.QueryResult;
    let queryLatency!: number;
    let migrations: AppMigrationStatus | undefined;
    let closedByServer = false;
    let retry = false;
    try {
      const started = performance.now();
      const answer: pg.QueryResult | pg.QueryResult[] = await phase('query', () =>
        client.query(settings.query).catch((error: unknown) => {
          closedByServer = isClosedByServer(error);
          throw error;
        }),
      );
      queryLatency = elapsedMs(started);
      // A multi-statement query answers one result per statement; the last one is the test.
      result = Array.isArray(answer) ? answer[answer.length - 1]! : answer;
      if (migrationsSettings) {
        migrations = await phase('migrations', () => readAppMigrationStatus((sql) => client.query(sql), migrationsSettings, POSTGRES_DIALECT));
      }
    } catch (error) {
      broken = true;
      // The pool's idle connection was closed by the server (a restart, an idle timeout,
      // pg_terminate_backend) before the pool saw it go: once more, on a new connection.
      if (!(mayRetry && closedByServer && !signal.aborted)) throw error;
      retry = true;
    } finally {
      stopWatching();
      client.release(broken);
    }
    if (retry) return runOnce(signal, false);

    const numeric = new Set(
      (result.fields ?? []).filter((f) => f.dataTypeID === INT8_OID || f.dataTypeID === NUMERIC_OID).map((f) => f.name),
    );
    const details: SqlDetails = {
      server_version: (client as unknown as VersionAwareClient).serverVersion,
      query_latency_ms: queryLatency,
      pool: {
        size: settings.poolMax,
        total: pool.totalCount,
        checked_in: pool.idleCount,
        checked_out: pool.totalCount - pool.idleCount,
        waiting: pool.waitingCount,
      },
      first_row: plainRow(result.rows?.[0], numeric),
      ...(migrations ? { migrations } : {}),
    };
    return { details: { ...details } };
  }
}

/** PostgreSQL ended the session (57P01 admin shutdown, 57P02/57P03) or the socket went away. */
function isClosedByServer(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  return typeof message === 'string' && /Connection terminated/i.test(message);
}
