// Versioned SQL migrations: src/store/migrations/NNNN_<name>.sql, applied in filename order,
// each in its own transaction together with its row in vigil_migrations. A transaction-level
// advisory lock taken first in each transaction makes concurrent start-ups on one PostgreSQL
// database safe: the second waits, then sees the migration recorded and skips it.
import { readdir, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Driver } from './driver.ts';
import type { AppliedMigration, MigrationStatus } from './types.ts';

export const MIGRATIONS_TABLE = 'vigil_migrations';
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;
/** Arbitrary constant shared by every Vigil process: "vigil" in ASCII. */
const MIGRATION_LOCK_KEY = 0x7669676c;

export interface Migration {
  readonly filename: string;
  readonly sql: string;
}

let shipped: Promise<readonly Migration[]> | undefined;

/**
 * The migrations shipped with this build, in the order they apply. Read once per process: the
 * files do not change under a running Vigil, and the migration status is read on requests.
 */
export function shippedMigrations(): Promise<readonly Migration[]> {
  if (!shipped) {
    const reading = readShippedMigrations();
    shipped = reading;
    // A failed read (a bad file name) is not kept: the next call reads again.
    reading.catch(() => {
      if (shipped === reading) shipped = undefined;
    });
  }
  return shipped;
}

async function readShippedMigrations(): Promise<readonly Migration[]> {
  const names = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
  const bad = names.find((name) => !MIGRATION_NAME.test(name));
  if (bad) throw new Error(`store: migration file "${bad}" must be named NNNN_<lowercase_name>.sql`);
  return Promise.all(
    names.map(async (filename) => ({ filename, sql: await readFile(new URL(filename, MIGRATIONS_DIR), 'utf8') })),
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  filename   text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Applies every shipped migration not yet recorded; returns the filenames applied now. */
export async function applyMigrations(driver: Driver, logger: Logger): Promise<string[]> {
  const migrations = await shippedMigrations();
  const appliedNow: string[] = [];
  for (const migration of migrations) {
    const applied = await driver.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(CREATE_TABLE);
      const done = await tx.query(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE filename = $1`, [migration.filename]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO ${MIGRATIONS_TABLE} (filename) VALUES ($1)`, [migration.filename]);
      return true;
    });
    if (applied) {
      appliedNow.push(migration.filename);
      logger.info({ migration: migration.filename, backend: driver.backend }, 'store migration applied');
    }
  }
  const status = await readMigrationStatus(driver);
  const unknown = status.applied.filter((row) => !migrations.some((m) => m.filename === row.filename));
  if (unknown.length > 0) {
    logger.warn(
      { migrations: unknown.map((row) => row.filename) },
      'store has migrations this build does not know (written by a newer Vigil?)',
    );
  }
  return appliedNow;
}

function isoString(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export async function readMigrationStatus(driver: Driver): Promise<MigrationStatus> {
  const [{ exists } = { exists: false }] = await driver.query<{ exists: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists`,
    [MIGRATIONS_TABLE],
  );
  const shipped = await shippedMigrations();
  if (!exists) return { table_exists: false, applied: [], required: shipped.map((m) => m.filename) };
  const rows = await driver.query<{ filename: string; applied_at: unknown }>(
    `SELECT filename, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY filename`,
  );
  const applied: AppliedMigration[] = rows.map((row) => ({ filename: row.filename, applied_at: isoString(row.applied_at) }));
  const done = new Set(applied.map((row) => row.filename));
  return { table_exists: true, applied, required: shipped.filter((m) => !done.has(m.filename)).map((m) => m.filename) };
}
