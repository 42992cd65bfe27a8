// What the SQL kinds (postgres, mysql) share: their settings and how a test query's first row
// is reported.
import { endpointOptions, readEndpoint, type Endpoint, type EndpointSpec } from './endpoint.ts';
import { connectionAgeOption } from './lazy-client.ts';
import type { z } from 'zod';
import { option, refuse, type kindOptions } from './options.ts';
import type { SourceDefinition } from './types.ts';

export interface SqlSettings {
  readonly endpoint: Endpoint;
  /** Option `database`, else the URL's path; undefined leaves the server's default. */
  readonly database: string | undefined;
  /** Hasura's `test.sql`: the query each probe runs. */
  readonly query: string;
  /** Largest number of connections the check's pool opens. */
  readonly poolMax: number;
  /** `max_connection_age`, in milliseconds. */
  readonly maxConnectionAgeMs: number;
}

export const DEFAULT_TEST_QUERY = 'SELECT 1';

/** The options of a SQL kind reached at `spec`, for its `kindOptions({...})`. */
export function sqlOptions(spec: EndpointSpec, what: string) {
  return {
    ...endpointOptions(spec, what),
    database: option.string("Database to connect to; wins over the URL's path."),
    query: option.string(`The test query each probe runs (Hasura's \`test.sql\`; default \`${DEFAULT_TEST_QUERY}\`). Its first row is reported.`),
    pool_max: option.integer(2, { min: 1, max: 100 }, 'Largest number of connections the check opens.'),
    ...connectionAgeOption,
  };
}

type SqlOptions = ReturnType<typeof kindOptions<ReturnType<typeof sqlOptions>>>;

/** The settings of a SQL kind from its options as its schema read them (`readOptions`). */
export function readSqlSettings(def: SourceDefinition, options: z.output<SqlOptions>, spec: EndpointSpec): SqlSettings {
  const endpoint = readEndpoint(def, options, spec);
  const query = options.query ?? DEFAULT_TEST_QUERY;
  if (query.trim() === '') refuse(def, 'option "query" must not be empty');
  return { endpoint, database: options.database ?? endpoint.path, query, poolMax: options.pool_max, maxConnectionAgeMs: options.max_connection_age };
}

function plainValue(value: unknown, numeric: boolean): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (numeric && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return value;
}

/**
 * A row as plain JSON-friendly data: bigint-like values (a `count(*)`) as numbers, dates as
 * ISO strings. `numericColumns` names the columns the driver returned as numeric text.
 */
export function plainRow(row: unknown, numericColumns: ReadonlySet<string>): Readonly<Record<string, unknown>> | null {
  if (row === null || typeof row !== 'object') return null;
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plainValue(value, numericColumns.has(key))]));
}
