// What the SQL kinds (postgres, mysql) share: their settings and how a test query's first row
// is reported.
import { readEndpoint, type Endpoint } from './endpoint.ts';
import { optionalInteger, optionalString } from './options.ts';
import { CheckConfigError, type SourceDefinition } from './types.ts';

export interface SqlSettings {
  readonly endpoint: Endpoint;
  /** Option `database`, else the URL's path; undefined leaves the server's default. */
  readonly database: string | undefined;
  /** Hasura's `test.sql`: the query each probe runs. */
  readonly query: string;
  /** Largest number of connections the check's pool opens. */
  readonly poolMax: number;
}

export const DEFAULT_TEST_QUERY = 'SELECT 1';

export function readSqlSettings(def: SourceDefinition, protocols: readonly string[], defaultPort: number): SqlSettings {
  const endpoint = readEndpoint(def, { protocols, defaultPort });
  const query = optionalString(def, 'query') ?? DEFAULT_TEST_QUERY;
  if (query.trim() === '') throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "query" must not be empty`);
  return {
    endpoint,
    database: optionalString(def, 'database') ?? endpoint.path,
    query,
    poolMax: optionalInteger(def, 'pool_max', 2, { min: 1, max: 100 }),
  };
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
