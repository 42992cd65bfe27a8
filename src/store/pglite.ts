// The embedded backend: PostgreSQL compiled to WebAssembly (PGlite), files in a data
// directory, so Vigil's first start needs no database server. PGlite is single-process: the
// directory lock (dir-lock.ts) keeps a second Vigil (a replica, or the CLI while the server
// runs) from opening the same directory and corrupting it.
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DirectoryBusyError, lockDirectory } from './dir-lock.ts';
import { pgliteModule } from './pglite-module.ts';
import { copyTemplate, initdbInChild, isInitialised, pgliteTemplate } from './pglite-template.ts';
import { StoreError, type Driver, type TransactionClient } from './driver.ts';

export const MEMORY_DATA_DIR = 'memory://';

/**
 * Vigil's own store is a few small tables, and PostgreSQL's default shared memory (128 MB of
 * shared buffers, lock tables for 100 connections) is all resident under WebAssembly, whose
 * mmap zero-fills it: these settings take the embedded store's idle RSS down by about 180 MB.
 * PGlite serves one connection, so 4 is room to spare.
 */
const MEMORY_SETTINGS = ['-c', 'shared_buffers=8MB', '-c', 'max_connections=4', '-c', 'max_locks_per_transaction=32'];

async function pgliteOptions(template: Blob | undefined, tierUp: boolean): Promise<PGliteOptions> {
  return {
    startParams: [...PGlite.defaultStartParams, ...MEMORY_SETTINGS],
    pgliteWasmModule: await pgliteModule(tierUp),
    ...(template ? { loadDataDir: template } : {}),
  };
}

export interface PgliteDriverInput {
  /** A directory, or `memory://` for a throw-away in-memory store (tests). */
  readonly dataDir: string;
  /** `store.embedded_tier_up`: V8's optimising compiler may recompile PGlite (see pglite-module.ts). */
  readonly tierUp?: boolean;
}

function wrap(context: string, error: unknown): StoreError {
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`store (embedded): ${context}: ${message.replace(/\s+/g, ' ').trim()}`, error);
}

/** The template as PGlite loads an in-memory store from it; undefined means a plain initdb. */
async function templateArchive(): Promise<Blob | undefined> {
  const template = await pgliteTemplate();
  return template ? new Blob([await readFile(template.archive)]) : undefined;
}

/** A new data directory gets the template's files, or else its initdb in a child process. */
async function initialise(dataDir: string): Promise<void> {
  if (await isInitialised(dataDir)) return;
  const template = await pgliteTemplate();
  if (template) await copyTemplate(template, dataDir);
  else await initdbInChild(dataDir).catch(() => undefined); // PGlite.create runs initdb itself then
}

export async function createPgliteDriver(input: PgliteDriverInput): Promise<Driver> {
  const inMemory = input.dataDir === MEMORY_DATA_DIR;
  let releaseLock = async () => {};
  let db: PGlite;
  try {
    if (inMemory) {
      db = await PGlite.create(MEMORY_DATA_DIR, await pgliteOptions(await templateArchive(), input.tierUp ?? false));
    } else {
      const dataDir = path.resolve(input.dataDir);
      await mkdir(dataDir, { recursive: true });
      releaseLock = await lockDirectory(dataDir).then(
        (lock) => lock.release,
        (error: unknown) => {
          if (error instanceof DirectoryBusyError) throw new StoreError(`store (embedded): ${error.message}`, error);
          throw wrap(`cannot lock ${dataDir}`, error);
        },
      );
      await initialise(dataDir);
      db = await PGlite.create(dataDir, await pgliteOptions(undefined, input.tierUp ?? false));
    }
  } catch (error) {
    await releaseLock();
    throw error instanceof StoreError ? error : wrap('cannot open', error);
  }

  const clientOf = (target: Pick<PGlite, 'query' | 'exec'>): TransactionClient => ({
    query: async <Row extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
      try {
        return (await target.query<Row>(sql, params as unknown[])).rows;
      } catch (error) {
        throw wrap('query failed', error);
      }
    },
    exec: async (sql: string) => {
      try {
        await target.exec(sql);
      } catch (error) {
        throw wrap('statement failed', error);
      }
    },
  });

  let closed = false;
  return {
    backend: 'pglite',
    query: clientOf(db).query,
    transaction: (work) => db.transaction((tx) => work(clientOf(tx))),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        await releaseLock();
      }
    },
  };
}
