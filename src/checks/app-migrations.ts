// The watched application's schema migrations, read by a `postgres` or `mysql` source with the option
// `migrations` (001's `schema` block, via families.health.schema): which migrations the
// application's own table records as applied, against the list it requires (the files of a
// migrations directory and/or an explicit list). Read-only: one SELECT on that table.
//
//   migrations:
//     table: public.schema_migrations   # the application's table ("schema.table" or "table")
//     column: filename                  # the column naming each applied migration (default filename)
//     applied_at_column: applied_at     # optional: when each was applied
//     directory: /app/migrations        # required: the files here matching `pattern`
//     pattern: '*.sql'                  # default *.sql
//     required: [001_init.sql]          # and/or an explicit list
import { readdir } from 'node:fs/promises';
import { globToRegExp } from './filesystem.ts';
import { option, refuse } from './options.ts';
import type { SourceDefinition } from './types.ts';

/** What a source reports under `details.migrations` (the shape of 001's `schema`, minus `ok`). */
export interface AppMigrationStatus {
  readonly table_exists: boolean;
  readonly applied: readonly { readonly filename: string; readonly applied_at?: string }[];
  /** Required migrations the table does not record as applied (empty when up to date). */
  readonly required: readonly string[];
}

export interface AppMigrationsSettings {
  /** The table's name, optionally after its schema (or MySQL database): one or two parts. */
  readonly table: readonly string[];
  readonly column: string;
  readonly appliedAtColumn: string | undefined;
  readonly directory: string | undefined;
  readonly pattern: RegExp;
  readonly required: readonly string[];
}

/** What differs between the SQL servers for the one query this module runs. */
export interface SqlDialect {
  /** An identifier quoted for the server. */
  readonly quote: (name: string) => string;
  /** An expression cast to text. */
  readonly text: (expression: string) => string;
  /** Whether `error` says the table does not exist. */
  readonly isUndefinedTable: (error: unknown) => boolean;
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

export const POSTGRES_DIALECT: SqlDialect = {
  quote: (name) => `"${name.replace(/"/g, '""')}"`,
  text: (expression) => `${expression}::text`,
  isUndefinedTable: (error) => codeOf(error) === '42P01',
};

export const MYSQL_DIALECT: SqlDialect = {
  quote: (name) => `\`${name.replace(/`/g, '``')}\``,
  text: (expression) => `CAST(${expression} AS CHAR)`,
  isUndefinedTable: (error) => codeOf(error) === 'ER_NO_SUCH_TABLE',
};

/** The `migrations` option of the SQL kinds (`postgres`, `mysql`). */
export const appMigrationsOption = {
  migrations: option.section(
    {
      table: option.requiredString("The application's migrations table, optionally schema-qualified (`public.schema_migrations`)."),
      column: option.string('The column naming each applied migration (default `filename`).'),
      applied_at_column: option.string('A column holding when each migration was applied (reported as `applied_at`).'),
      directory: option.string('A directory whose files matching `pattern` are all required.'),
      pattern: option.string('Which files of `directory` are migrations (default `*.sql`).'),
      required: option.stringList('Migrations required besides those of `directory`.'),
    },
    "The watched application's schema migrations: which the application's own table records as applied, against the list it requires (001's `schema` block, with `families.health.schema`).",
  ),
};

type AppMigrationsOption = NonNullable<ReturnType<(typeof appMigrationsOption.migrations)['parse']>>;

/** The `migrations` option as read by the kind's schema, checked further; undefined when absent. */
export function readAppMigrationsSettings(def: SourceDefinition, section: AppMigrationsOption | undefined): AppMigrationsSettings | undefined {
  if (!section) return undefined;
  const parts = section.table.split('.');
  if (parts.length > 2 || parts.some((part) => part === '')) {
    refuse(def, 'option "migrations.table" must be a table name, optionally schema-qualified (public.schema_migrations)');
  }
  const column = section.column ?? 'filename';
  if (column === '') refuse(def, 'option "migrations.column" must be a column name');
  const appliedAtColumn = section.applied_at_column;
  return {
    table: parts,
    column,
    appliedAtColumn: appliedAtColumn === undefined || appliedAtColumn === '' ? undefined : appliedAtColumn,
    directory: section.directory,
    pattern: globToRegExp(section.pattern ?? '*.sql'),
    required: section.required,
  };
}

/** A migration's name without its last extension: "001_init.sql" and "001_init" are one migration. */
function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function isoOf(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'string' && value !== '') return value;
  return undefined;
}

/** The required list: the explicit one, then the directory's matching files, each once, sorted. */
async function requiredMigrations(settings: AppMigrationsSettings): Promise<string[]> {
  const names = new Set(settings.required);
  if (settings.directory !== undefined) {
    for (const entry of await readdir(settings.directory, { withFileTypes: true })) {
      if (entry.isFile() && settings.pattern.test(entry.name)) names.add(entry.name);
    }
  }
  return [...names].sort();
}

export type SqlQuery = (sql: string) => Promise<{ readonly rows: readonly Record<string, unknown>[] }>;

/**
 * Reads the application's migration status with `query` (the probe's own connection). A table
 * that does not exist is reported (`table_exists: false`, everything required pending);
 * any other failure (a column that does not exist, an unreadable directory) throws.
 */
export async function readAppMigrationStatus(query: SqlQuery, settings: AppMigrationsSettings, dialect: SqlDialect): Promise<AppMigrationStatus> {
  const required = await requiredMigrations(settings);
  const appliedAt = settings.appliedAtColumn ? `, ${dialect.quote(settings.appliedAtColumn)} AS applied_at` : '';
  const columns = `${dialect.text(dialect.quote(settings.column))} AS filename${appliedAt}`;
  const table = settings.table.map(dialect.quote).join('.');
  let rows: readonly Record<string, unknown>[];
  try {
    ({ rows } = await query(`SELECT ${columns} FROM ${table} ORDER BY 1`));
  } catch (error) {
    if (dialect.isUndefinedTable(error)) return { table_exists: false, applied: [], required };
    throw error;
  }
  const applied = rows.flatMap((row) => {
    if (typeof row.filename !== 'string') return [];
    const at = isoOf(row.applied_at);
    return [{ filename: row.filename, ...(at !== undefined ? { applied_at: at } : {}) }];
  });
  const appliedStems = new Set(applied.map((migration) => stem(migration.filename)));
  return { table_exists: true, applied, required: required.filter((name) => !appliedStems.has(stem(name))) };
}
