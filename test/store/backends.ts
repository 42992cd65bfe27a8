// The two store backends as test fixtures: embedded PGlite (in memory, or in a temp directory
// when a test must reopen it) and a private database on the shared PostgreSQL server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { StoreLocation } from '../../src/store/index.ts';
import { MEMORY_DATA_DIR } from '../../src/store/index.ts';
import { createPrivateDatabase } from '../support/pg-database.ts';

export const silentLogger = pino({ level: 'silent' });

export type BackendName = 'pglite' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['pglite', 'postgres'];

export interface BackendFixture {
  readonly config: StoreLocation;
  cleanup(): Promise<void>;
}

/**
 * A fresh, empty store location. `reopenable` PGlite stores live in a temp directory (slower:
 * a real initdb); others in memory.
 */
export async function freshBackend(name: BackendName, options: { reopenable?: boolean } = {}): Promise<BackendFixture> {
  if (name === 'postgres') {
    const db = await createPrivateDatabase('vigil_test');
    return { config: { url: db.url, dataDir: '' }, cleanup: () => db.drop() };
  }
  if (!options.reopenable) return { config: { url: undefined, dataDir: MEMORY_DATA_DIR }, cleanup: async () => {} };
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-store-'));
  return { config: { url: undefined, dataDir: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
