// A `consistency` source: read-only anomaly queries over an application's PostgreSQL database
// (001's /health/consistency). The engine runs it in the background like any other check, so
// however many requests read the report, the scanned database sees one scan per interval.
//
// Each run opens one connection and does BEGIN READ ONLY; SET LOCAL statement_timeout; the
// checks; ROLLBACK. Each check's SQL is wrapped in a subquery and sent with the extended
// protocol: it can only ever be one SELECT, and any write it attempts (through a function,
// set_config, ...) fails inside the read-only transaction.
import pg from 'pg';
import { z } from 'zod';
import { endpointOptions, readEndpoint } from './endpoint.ts';
import { kindOptions, option, readOptions, refuse } from './options.ts';
import { safeErrorMessage } from '../shared/redact.ts';
import { ProbeError, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

export type ConsistencySeverity = 'warn' | 'info';

/** One anomalous row, as the documented `files[]` item. */
export interface ConsistencyFinding {
  readonly file_name: string | null;
  readonly file_uuid: string | null;
  readonly status: string | null;
  readonly detail: string | null;
}

export interface ConsistencyCheckReport {
  readonly check: string;
  readonly severity: ConsistencySeverity;
  /** Every anomalous row the check found. */
  readonly count: number;
  /** At most `sample_limit` of them. */
  readonly files: readonly ConsistencyFinding[];
}

/** The `details` of a consistency run. */
export interface ConsistencyDetails {
  /** The scanned database, credentials removed. */
  readonly database: string;
  readonly checks: readonly ConsistencyCheckReport[];
}

export interface ConsistencyQuery {
  readonly check: string;
  readonly severity: ConsistencySeverity;
  /** One SELECT returning file_name, file_uuid, status, detail. */
  readonly sql: string;
}

/** Job statuses that mean a monitor_job is still at work on its file. */
const ACTIVE_JOB_STATUSES = ['pending', 'queued', 'running'] as const;
const DONE_JOB_STATUS = 'completed';
const DEFAULT_SAMPLE_LIMIT = 20;
const MAX_SAMPLE_LIMIT = 1000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const CHECK_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

const POSTGRES = { protocols: ['postgres:', 'postgresql:'], defaultPort: 5432 } as const;
const TABLE_HINT = 'a table name (letters, digits, _; optionally schema.table)';
const CHECK_HINT = 'a name of letters, digits, _ . : - (1 to 100)';
const SQL_HINT = 'a SELECT returning file_name, file_uuid, status, detail';

const table = (fallback: string, description: string) =>
  z.string({ error: TABLE_HINT }).regex(IDENTIFIER, { error: TABLE_HINT }).default(fallback).meta({ description });

/** One user-declared check: `{ check, severity, sql }`. */
const declaredCheck = z.strictObject(
  {
    check: z.string({ error: CHECK_HINT }).regex(CHECK_NAME, { error: CHECK_HINT }).meta({ description: 'Its name in the answer.' }),
    severity: z.enum(['warn', 'info'], { error: '"warn" or "info"' }).default('warn').meta({ description: '`warn` (default) or `info`.' }),
    sql: z
      .string({ error: SQL_HINT })
      .refine((sql) => sql.trim() !== '', { error: SQL_HINT })
      .meta({ description: 'One SELECT returning file_name, file_uuid, status, detail; run read-only.' }),
  },
  { error: (problem) => (problem.code === 'unrecognized_keys' ? 'expected one of check, severity, sql' : 'an object {check, severity, sql}') },
);

export const consistencyOptions = kindOptions(
  "The read-only consistency scan behind `/health/consistency`: checks on the application's `files` and `monitor_jobs` tables in PostgreSQL, run in a READ ONLY transaction, each reporting its count and a sample of rows.",
  {
    ...endpointOptions(POSTGRES, 'the application database'),
    database: option.string("Database to scan; wins over the URL's path (default `postgres`)."),
    builtin: option.boolean(true, 'Run the built-in checks on `files_table` and `jobs_table`.'),
    files_table: table('files', 'The files table of the built-in checks (`name` or `schema.name`).'),
    jobs_table: table('monitor_jobs', 'The jobs table of the built-in checks.'),
    checks: z
      .array(declaredCheck, { error: 'a list of {check, severity, sql}' })
      .default([])
      .meta({ description: 'More checks: a list of `{ check, severity, sql }`.' }),
    sample_limit: option.integer(DEFAULT_SAMPLE_LIMIT, { min: 1, max: MAX_SAMPLE_LIMIT }, 'Rows reported per check (the count is always complete).'),
  },
);

type ConsistencyOptions = ReturnType<typeof readOptions<typeof consistencyOptions>>;

function quoteIdentifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

function sqlList(values: readonly string[]): string {
  return values.map((value) => `'${value}'`).join(', ');
}

/** The four documented checks over `files` and `monitor_jobs` (table names configurable). */
export function builtinConsistencyQueries(filesTable = 'files', jobsTable = 'monitor_jobs'): readonly ConsistencyQuery[] {
  const files = quoteIdentifier(filesTable);
  const jobs = quoteIdentifier(jobsTable);
  const alive = sqlList([...ACTIVE_JOB_STATUSES, DONE_JOB_STATUS]);
  return [
    {
      check: 'stale_processing',
      severity: 'warn',
      sql: `SELECT f.file_name, f.file_uuid, f.status, 'job_id is null' AS detail
            FROM ${files} f WHERE f.status = 'processing' AND f.job_id IS NULL`,
    },
    {
      check: 'orphaned_processing',
      severity: 'warn',
      sql: `SELECT f.file_name, f.file_uuid, f.status,
                   CASE WHEN j.id IS NULL THEN 'no monitor_job ' || f.job_id::text
                        ELSE 'monitor_job ' || f.job_id::text || ' is ' || coalesce(j.status::text, 'null') END AS detail
            FROM ${files} f LEFT JOIN ${jobs} j ON j.id = f.job_id
            WHERE f.status = 'processing' AND f.job_id IS NOT NULL
              AND (j.id IS NULL OR j.status IS NULL OR j.status::text NOT IN (${alive}))`,
    },
    {
      check: 'processing_job_done',
      severity: 'warn',
      sql: `SELECT f.file_name, f.file_uuid, f.status, 'monitor_job ' || f.job_id::text || ' is ${DONE_JOB_STATUS}' AS detail
            FROM ${files} f JOIN ${jobs} j ON j.id = f.job_id
            WHERE f.status = 'processing' AND j.status::text = '${DONE_JOB_STATUS}'`,
    },
    {
      check: 'unregistered_with_uuid',
      severity: 'info',
      sql: `SELECT f.file_name, f.file_uuid, f.status, 'unregistered but still in the database' AS detail
            FROM ${files} f WHERE f.status = 'unregistered' AND f.file_uuid IS NOT NULL`,
    },
  ];
}

interface Connection {
  readonly config: pg.ClientConfig;
  /** The database, credentials removed, for messages and details. */
  readonly display: string;
  readonly secrets: readonly string[];
}

function connection(def: SourceDefinition, read: ConsistencyOptions, timeoutMs: number): Connection {
  const endpoint = readEndpoint(def, read, POSTGRES);
  const database = read.database ?? endpoint.path ?? 'postgres';
  return {
    config: {
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user ?? 'postgres',
      database,
      ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
      connectionTimeoutMillis: timeoutMs,
      application_name: 'vigil-consistency',
    },
    display: endpoint.url ? endpoint.display : `${endpoint.display}/${database}`,
    secrets: endpoint.secrets,
  };
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** `value` as a plain object, the way node-postgres hands rows back. */
function rowOf(value: unknown): Record<string, unknown> {
  return value as Record<string, unknown>;
}

/** Runs the queries on one read-only transaction. Exported for tests that bring their own client. */
export async function scanConsistency(
  client: pg.Client,
  queries: readonly ConsistencyQuery[],
  input: { readonly sampleLimit: number; readonly statementTimeoutMs: number; readonly secrets?: readonly string[] },
): Promise<ConsistencyCheckReport[]> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(input.statementTimeoutMs))}`);
    const reports: ConsistencyCheckReport[] = [];
    for (const query of queries) {
      let result: pg.QueryResult;
      try {
        result = await client.query({
          text: `SELECT q.file_name, q.file_uuid, q.status, q.detail, count(*) OVER () AS vigil_total
                 FROM (${query.sql}) AS q LIMIT $1`,
          values: [input.sampleLimit],
          queryMode: 'extended',
        } as pg.QueryConfig);
      } catch (error) {
        throw new ProbeError({ phase: 'query', message: `consistency: check "${query.check}" failed`, detail: safeErrorMessage(error, input.secrets) });
      }
      const rows = result.rows.map(rowOf);
      reports.push({
        check: query.check,
        severity: query.severity,
        count: rows.length === 0 ? 0 : Number(rows[0]?.vigil_total ?? 0),
        files: rows.map((row) => ({
          file_name: text(row.file_name),
          file_uuid: text(row.file_uuid),
          status: text(row.status),
          detail: text(row.detail),
        })),
      });
    }
    return reports;
  } finally {
    // Nothing was written; ROLLBACK just ends the transaction. A broken connection is dropped anyway.
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

export function createConsistencyCheck(def: SourceDefinition): Check<'consistency'> {
  const read = readOptions(def, consistencyOptions);
  const { config, display: database, secrets } = connection(def, read, def.timeoutMs);
  const sampleLimit = read.sample_limit;
  const queries: readonly ConsistencyQuery[] = [
    ...(read.builtin ? builtinConsistencyQueries(read.files_table, read.jobs_table) : []),
    // Wrapped as a subquery later, so a trailing ";" would break it; anything after a ";"
    // inside is refused by the server (one statement per extended-protocol query).
    ...read.checks.map((item) => ({ ...item, sql: item.sql.trim().replace(/;\s*$/, '') })),
  ];
  if (queries.length === 0) refuse(def, 'option "checks" must be non-empty when "builtin" is false');
  const names = queries.map((q) => q.check);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) refuse(def, `option "checks" must be free of duplicate names ("${duplicate}" appears twice)`);
  const live = new Set<pg.Client>();

  function drop(client: pg.Client): void {
    live.delete(client);
    void client.end().catch(() => undefined);
  }

  return {
    kind: 'consistency',
    async run(signal: AbortSignal): Promise<CheckOutcome<ConsistencyDetails>> {
      const deadline = performance.now() + def.timeoutMs;
      const client = new pg.Client(config);
      // A socket error after the run is over must not crash the process.
      client.on('error', () => undefined);
      live.add(client);
      const onAbort = (): void => drop(client);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        try {
          await client.connect();
        } catch (error) {
          throw new ProbeError({ phase: 'connect', message: `consistency: connect to ${database} failed`, detail: safeErrorMessage(error, secrets) });
        }
        const checks = await scanConsistency(client, queries, {
          sampleLimit,
          statementTimeoutMs: deadline - performance.now(),
          secrets,
        });
        const details: ConsistencyDetails = { database, checks };
        const found = checks.filter((c) => c.count > 0);
        if (found.length === 0) return { status: 'ok', details: { ...details } };
        return {
          status: 'degraded',
          message: `consistency: ${found.map((c) => `${c.check} (${c.count})`).join(', ')}`,
          details: { ...details },
        };
      } finally {
        signal.removeEventListener('abort', onAbort);
        drop(client);
      }
    },
    async close(): Promise<void> {
      for (const client of [...live]) drop(client);
    },
  };
}
