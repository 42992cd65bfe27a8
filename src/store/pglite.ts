// The embedded backend: PostgreSQL compiled to WebAssembly (PGlite), files in a data
// directory, so Vigil's first start needs no database server. PGlite is single-process: the
// directory lock (dir-lock.ts) keeps a second Vigil (a replica, or the CLI while the server
// runs) from opening the same directory and corrupting it.
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectoryBusyError, lockDirectory } from './dir-lock.ts';
import { StoreError, type Driver, type TransactionClient } from './driver.ts';

export const MEMORY_DATA_DIR = 'memory://';

/**
 * Vigil's own store is a few small tables, and PostgreSQL's default shared memory (128 MB of
 * shared buffers, lock tables for 100 connections) is all resident under WebAssembly, whose
 * mmap zero-fills it: these settings take the embedded store's idle RSS down by about 180 MB.
 * PGlite serves one connection, so 4 is room to spare.
 */
const MEMORY_SETTINGS = ['-c', 'shared_buffers=8MB', '-c', 'max_connections=4', '-c', 'max_locks_per_transaction=32'];

function pgliteOptions(template: Blob | undefined): PGliteOptions {
  return { startParams: [...PGlite.defaultStartParams, ...MEMORY_SETTINGS], ...(template ? { loadDataDir: template } : {}) };
}

export interface PgliteDriverInput {
  /** A directory, or `memory://` for a throw-away in-memory store (tests). */
  readonly dataDir: string;
}

function wrap(context: string, error: unknown): StoreError {
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`store (embedded): ${context}: ${message.replace(/\s+/g, ' ').trim()}`, error);
}

/**
 * initdb takes seconds under WebAssembly. New stores (in memory, or a data directory without
 * PG_VERSION) start instead from a copy of a freshly initialised directory, made once per PGlite
 * version and cached in a private (0700, owned by this user) directory under the OS temp dir.
 * It is written atomically so parallel processes can share it; any doubt means a plain initdb.
 */
async function initialisedTemplate(): Promise<Blob | undefined> {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
    const version = (JSON.parse(await readFile(pkgPath, 'utf8')) as { version: string }).version;
    const uid = process.getuid?.() ?? 0;
    const cacheDir = path.join(tmpdir(), `vigil-pglite-${uid}`);
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const info = await stat(cacheDir);
    // Someone else's directory could hold a planted database: never trust it.
    if (info.uid !== uid || (info.mode & 0o077) !== 0) return undefined;
    const file = path.join(cacheDir, `template-${version}.tar.gz`);
    if (!(await stat(file).catch(() => undefined))) {
      const fresh = await PGlite.create(MEMORY_DATA_DIR);
      const dump = await fresh.dumpDataDir('gzip');
      await fresh.close();
      const partial = `${file}.${process.pid}.${Date.now()}`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
      await rename(partial, file);
    }
    return new Blob([await readFile(file)]);
  } catch {
    return undefined;
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return (await stat(path.join(dataDir, 'PG_VERSION')).catch(() => undefined)) !== undefined;
}

export async function createPgliteDriver(input: PgliteDriverInput): Promise<Driver> {
  const inMemory = input.dataDir === MEMORY_DATA_DIR;
  let releaseLock = async () => {};
  let db: PGlite;
  try {
    if (inMemory) {
      const template = await initialisedTemplate();
      db = await PGlite.create(MEMORY_DATA_DIR, pgliteOptions(template));
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
      const template = (await isInitialised(dataDir)) ? undefined : await initialisedTemplate();
      db = await PGlite.create(dataDir, pgliteOptions(template));
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
