// Vigil's own data (users, keys, sessions, migrations). One interface, two backends:
// PostgreSQL through `pg`, or embedded PGlite in a data directory; one set of SQL.

export interface AppliedMigration {
  readonly filename: string;
  /** ISO 8601 UTC. */
  readonly applied_at: string;
}

export interface MigrationStatus {
  readonly table_exists: boolean;
  readonly applied: readonly AppliedMigration[];
  /** Migrations shipped with Vigil that are not applied yet (empty when up to date). */
  readonly required: readonly string[];
}

export interface Store {
  readonly backend: 'postgres' | 'pglite';
  /** Parameterised SQL ($1, $2, ...) on either backend. */
  query<Row extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction (BEGIN/COMMIT, ROLLBACK on throw). */
  transaction<T>(work: (query: Store['query']) => Promise<T>): Promise<T>;
  migrationStatus(): Promise<MigrationStatus>;
  close(): Promise<void>;
}
