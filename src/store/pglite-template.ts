// A new embedded store starts as a copy of a freshly initialised data directory, never from an
// initdb inside Vigil: initdb under WebAssembly takes seconds and peaks at about 800 MiB, and
// neither WebAssembly memory nor what malloc got for it goes back to the system, so a first start
// that ran it (or loaded a tarball through PGlite, some 90 MiB of buffers) idled some 100 MiB
// above a restart. The template is made once per PGlite version by a child process
// (pglite-initdb.mjs) in a private (0700, owned by this user) directory under the OS temp dir,
// as a directory (copied into new data directories with plain file copies) and as a gzipped
// tarball (what an in-memory store is loaded from). Any doubt about the cache means no template.
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url));
/** initdb takes 2-5 s on a quiet machine; a shared CI runner may be much slower. */
const INITDB_TIMEOUT_MS = 120_000;
/** The file PostgreSQL writes first and Vigil reads as "this directory is initialised". */
const MARKER = 'PG_VERSION';

export interface PgliteTemplate {
  /** A data directory to copy. */
  readonly dir: string;
  /** The same directory as a gzipped tarball, for PGlite's `loadDataDir`. */
  readonly archive: string;
}

/** Runs initdb on `dataDir` (and writes `archive`, if given) in a child process. */
export async function initdbInChild(dataDir: string, archive?: string): Promise<void> {
  // Plain node: the parent's execArgv (a loader, --inspect) is not passed on, nor needed.
  await promisify(execFile)(process.execPath, [INITDB_SCRIPT, dataDir, ...(archive ? [archive] : [])], { timeout: INITDB_TIMEOUT_MS });
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

export function isInitialised(dataDir: string): Promise<boolean> {
  return exists(path.join(dataDir, MARKER));
}

async function pgliteVersion(): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkgPath = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(await readFile(pkgPath, 'utf8')) as { version: string }).version;
}

/** This PGlite version's template, made first if missing; undefined when it cannot be trusted or made. */
export async function pgliteTemplate(): Promise<PgliteTemplate | undefined> {
  try {
    const uid = process.getuid?.() ?? 0;
    const cacheDir = path.join(tmpdir(), `vigil-pglite-${uid}`);
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const info = await stat(cacheDir);
    // Someone else's directory could hold a planted database: never trust it.
    if (info.uid !== uid || (info.mode & 0o077) !== 0) return undefined;
    const version = await pgliteVersion();
    const template = { dir: path.join(cacheDir, `template-${version}`), archive: path.join(cacheDir, `template-${version}.tar.gz`) };
    if ((await isInitialised(template.dir)) && (await exists(template.archive))) return template;
    // Made under unique names and renamed into place, so parallel processes can share the cache:
    // whichever rename comes second finds the place taken and its own copy is dropped.
    const build = path.join(cacheDir, `build-${process.pid}-${Date.now()}`);
    try {
      await mkdir(build, { mode: 0o700 });
      await initdbInChild(path.join(build, 'data'), path.join(build, 'data.tar.gz'));
      await rename(path.join(build, 'data'), template.dir).catch(async (error: unknown) => {
        if (!(await isInitialised(template.dir))) throw error;
      });
      await rename(path.join(build, 'data.tar.gz'), template.archive);
    } finally {
      await rm(build, { recursive: true, force: true });
    }
    return template;
  } catch {
    return undefined;
  }
}

/**
 * Copies the template into `dataDir` (which may hold Vigil's lock files). PG_VERSION goes last,
 * so a copy cut short leaves a directory that is still "not initialised" and is copied again.
 */
export async function copyTemplate(template: PgliteTemplate, dataDir: string): Promise<void> {
  const marker = path.join(template.dir, MARKER);
  await cp(template.dir, dataDir, { recursive: true, force: true, filter: (source) => source !== marker });
  await copyFile(marker, path.join(dataDir, MARKER));
}
