// Vigil's own store. `createStore(config.store, logger)` opens PostgreSQL when `url` is set,
// otherwise embedded PGlite in `dataDir` (`memory://` for a throw-away store in tests), and
// applies the shipped migrations before returning.
import type { Logger } from 'pino';
import type { StoreConfig } from '../config/types.ts';
import type { Driver } from './driver.ts';
import { applyMigrations, readMigrationStatus } from './migrations.ts';
import { createPgliteDriver } from './pglite.ts';
import { createPostgresDriver } from './postgres.ts';
import type { Store } from './types.ts';

export { StoreError, UNIQUE_VIOLATION } from './driver.ts';
export { MEMORY_DATA_DIR } from './pglite.ts';
export { MIGRATIONS_TABLE, shippedMigrations } from './migrations.ts';

export interface CreateStoreOptions {
  /** Skip applying migrations (the CLI's `migrate --status`, tests of the runner). Default false. */
  readonly skipMigrations?: boolean;
}

/** Where the store is (and how the embedded one runs); coordination settings are not the store's business. */
export type StoreLocation = Pick<StoreConfig, 'url' | 'dataDir'> & Partial<Pick<StoreConfig, 'embeddedTierUp'>>;

export async function openDriver(config: StoreLocation, logger: Logger): Promise<Driver> {
  return config.url
    ? createPostgresDriver({ url: config.url, logger })
    : createPgliteDriver({ dataDir: config.dataDir, tierUp: config.embeddedTierUp ?? false });
}

export function storeFromDriver(driver: Driver): Store {
  return {
    backend: driver.backend,
    query: driver.query,
    transaction: (work) => driver.transaction((tx) => work(tx.query)),
    migrationStatus: () => readMigrationStatus(driver),
    close: () => driver.close(),
  };
}

export async function createStore(config: StoreLocation, logger: Logger, options: CreateStoreOptions = {}): Promise<Store> {
  const driver = await openDriver(config, logger);
  try {
    if (!options.skipMigrations) await applyMigrations(driver, logger);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
  logger.info(driver.backend === 'pglite' ? { backend: 'pglite', dataDir: config.dataDir } : { backend: 'postgres' }, 'store ready');
  return storeFromDriver(driver);
}

/** Applies pending migrations on an open store's backend (the CLI's `migrate`). */
export async function migrate(config: StoreLocation, logger: Logger): Promise<{ applied: string[]; store: Store }> {
  const driver = await openDriver(config, logger);
  try {
    const applied = await applyMigrations(driver, logger);
    return { applied, store: storeFromDriver(driver) };
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
}
