// `filesystem`: a directory, the files in it, named entries below it, a SHA-256 manifest
// (sha256sum output) and executables on PATH. A missing directory is an error; anything
// else missing or not matching degrades the source, with every figure in the details.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, readdir, readFile, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FilesystemDetails } from './details.ts';
import { kindOptions, option, readOptions } from './options.ts';
import { CheckFailure, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

type Integrity = NonNullable<FilesystemDetails['integrity']>;

/** A shell-style pattern (`*`, `?`) as a whole-name regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Names of the files directly in `path` matching `pattern`, except `exclude` (the manifest). */
async function listFiles(path: string, pattern: RegExp, matchHidden: boolean, exclude: string | undefined): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (!pattern.test(entry.name) || (entry.name.startsWith('.') && !matchHidden)) continue;
    if (exclude !== undefined && join(path, entry.name) === exclude) continue;
    // A symlink counts when it points at a file, as `ls` users would expect.
    const isFile = entry.isFile() || (entry.isSymbolicLink() && (await stat(join(path, entry.name)).then((s) => s.isFile(), () => false)));
    if (isFile) names.push(entry.name);
  }
  return names.sort();
}

async function sha256(path: string, signal: AbortSignal): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(path), hash, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
  return hash.digest('hex');
}

/** What a manifest check found, beyond the figures reported in `integrity`. */
interface ManifestCheck {
  readonly integrity: Integrity;
  /** Counted files the manifest does not list. */
  readonly unlisted: readonly string[];
  /** Listed files that are not there (or cannot be read). */
  readonly missing: readonly string[];
}

/**
 * Checks the counted files (`present`, names directly in `root`) against a sha256sum manifest
 * whose paths are relative to `root`. 001's `scripts_integrity`: `total` is the number of files
 * present (so it equals `scripts_count`), `matched` those the manifest lists with the same
 * hash; an unlisted file is unmatched. `ok` also needs every listed file to be there and
 * intact, counted or not. Undefined when the manifest cannot be read.
 */
async function verifyManifest(root: string, present: readonly string[], manifestPath: string, signal: AbortSignal): Promise<ManifestCheck | undefined> {
  let text: string;
  try {
    text = await readFile(manifestPath, { encoding: 'utf8', signal });
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
  const presentPaths = new Set(present.map((name) => join(root, name)));
  const matchedPaths = new Set<string>();
  const listedPaths = new Set<string>();
  const missing: string[] = [];
  let broken = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    // sha256sum writes "<hash>  <path>" (text mode) or "<hash> *<path>" (binary mode).
    const entry = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!entry?.[1] || !entry[2]) {
      broken += 1;
      continue;
    }
    const path = resolve(root, entry[2]);
    listedPaths.add(path);
    const actual = await sha256(path, signal);
    if (actual === undefined) missing.push(entry[2]);
    else if (actual === entry[1].toLowerCase()) matchedPaths.add(path);
    else broken += 1;
  }
  const matched = [...presentPaths].filter((path) => matchedPaths.has(path)).length;
  const unlisted = present.filter((name) => !listedPaths.has(join(root, name)));
  const total = present.length;
  return { integrity: { matched, total, ok: matched === total && missing.length === 0 && broken === 0 }, unlisted, missing };
}

/** Names for a message: the first few, then how many more. */
function listed(names: readonly string[], shown = 5): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

async function onPath(name: string): Promise<boolean> {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    const found = await access(candidate, constants.X_OK).then(
      () => stat(candidate).then((s) => s.isFile()),
      () => false,
    );
    if (found) return true;
  }
  return false;
}

export const filesystemOptions = kindOptions(
  'A directory on this host (scripts, models, data): whether it exists, how many files match, named entries, a SHA-256 manifest, and executables on PATH.',
  {
    path: option.requiredString('The directory (relative to the working directory).'),
    pattern: option.string('Which files directly in the directory are counted, a pattern such as `*.py` (`*` and `?`; default `*`).'),
    entries: option.stringList('Names that must exist in the directory (files or subdirectories); a missing one makes the source degraded.'),
    manifest: option.string('A `sha256sum`-style manifest (relative to `path`): every file listed must match its hash.'),
    executables: option.stringList('Programs that must be on PATH (e.g. `ffmpeg`).'),
  },
);

export function createFilesystemCheck(def: SourceDefinition): Check<'filesystem'> {
  const read = readOptions(def, filesystemOptions);
  const root = resolve(read.path);
  const patternText = read.pattern ?? '*';
  const pattern = globToRegExp(patternText);
  const entries = read.entries;
  const manifestOption = read.manifest;
  const manifest = manifestOption === undefined ? undefined : isAbsolute(manifestOption) ? manifestOption : join(root, manifestOption);
  const executables = read.executables;

  return {
    kind: 'filesystem',
    async run(signal): Promise<CheckOutcome<FilesystemDetails>> {
      const executablesFound = Object.fromEntries(await Promise.all(executables.map(async (name) => [name, await onPath(name)] as const)));
      const missingExecutables = executables.filter((name) => !executablesFound[name]);

      if (!(await isDirectory(root))) {
        const details = {
          path: root,
          directory_exists: false,
          files_count: 0,
          entries: Object.fromEntries(entries.map((name) => [name, false])),
          integrity: manifest === undefined ? null : { matched: 0, total: 0, ok: false },
          executables: executablesFound,
        } satisfies FilesystemDetails;
        throw new CheckFailure(`filesystem: directory ${root} does not exist`, details);
      }

      const files = await listFiles(root, pattern, patternText.startsWith('.'), manifest);
      const entriesFound = Object.fromEntries(await Promise.all(entries.map(async (name) => [name, await exists(join(root, name))] as const)));
      signal.throwIfAborted();
      const checked = manifest === undefined ? undefined : await verifyManifest(root, files, manifest, signal);
      const integrity = checked?.integrity;
      const details = {
        path: root,
        directory_exists: true,
        files_count: files.length,
        entries: entriesFound,
        integrity: manifest === undefined ? null : (integrity ?? { matched: 0, total: 0, ok: false }),
        executables: executablesFound,
      } satisfies FilesystemDetails;

      const problems: string[] = [];
      const missingEntries = entries.filter((name) => !entriesFound[name]);
      if (missingEntries.length > 0) problems.push(`missing ${missingEntries.join(', ')}`);
      if (manifest !== undefined && !integrity) problems.push(`manifest ${manifest} cannot be read`);
      else if (checked && !checked.integrity.ok) {
        const why = [`${checked.integrity.matched}/${checked.integrity.total} files match the manifest`];
        if (checked.unlisted.length > 0) why.push(`not in the manifest: ${listed(checked.unlisted)}`);
        if (checked.missing.length > 0) why.push(`listed but missing: ${listed(checked.missing)}`);
        problems.push(why.join('; '));
      }
      if (missingExecutables.length > 0) problems.push(`not on PATH: ${missingExecutables.join(', ')}`);
      if (problems.length > 0) return { status: 'degraded', message: `filesystem: ${root}: ${problems.join('; ')}`, details };
      return { details };
    },
    async close() {
      // Nothing long-lived.
    },
  };
}
