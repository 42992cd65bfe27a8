// The admin family's `source_hash`: SHA-256 over Vigil's own shipped source files, defined so
// that a plain shell pipeline reproduces it byte for byte (see SOURCE_HASH_COMMAND):
//   find <roots> -type f ! -path <excluded> -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
// i.e. the SHA-256 of sha256sum's listing ("<hex>  <path>\n" per file, bytewise path order).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.ts';

export interface SourceHashInput {
  /** Directory the paths are relative to; defaults to Vigil's installation directory. */
  readonly root?: string;
  /** Files or directories (relative to root) whose regular files are hashed. */
  readonly include?: readonly string[];
  /** Relative paths left out: files produced by the build, not shipped source. */
  readonly exclude?: readonly string[];
}

export const DEFAULT_SOURCE_ROOTS = ['src', 'openapi', 'package.json', 'package-lock.json'] as const;
/** Written by `npm run build-info` at build time and git-ignored. */
export const DEFAULT_SOURCE_EXCLUDES = ['src/build-info.json'] as const;

/** The installation directory (a checkout, or an installed package). */
export const VIGIL_ROOT = PACKAGE_ROOT;

/** The documented shell command that prints the same hash, run in the installation directory. */
export const SOURCE_HASH_COMMAND =
  `find ${DEFAULT_SOURCE_ROOTS.join(' ')} -type f ${DEFAULT_SOURCE_EXCLUDES.map((p) => `! -path ${p}`).join(' ')} -print0` +
  ` | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1`;

/**
 * Regular files below `relative` (itself included when it is a file), as `find -type f`
 * lists them: symbolic links are neither followed nor listed; a missing root lists nothing.
 */
function listFiles(root: string, relative: string, into: string[]): void {
  let stat;
  try {
    stat = lstatSync(join(root, relative));
  } catch {
    return;
  }
  if (stat.isFile()) {
    into.push(relative);
    return;
  }
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(join(root, relative))) listFiles(root, `${relative}/${entry}`, into);
}

/** `LC_ALL=C sort`: bytewise order of the UTF-8 encoded paths. */
function bytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** One line of `sha256sum` output, including its escaping of names with `\` or a newline. */
function listingLine(digest: string, path: string): string {
  if (!/[\\\n\r]/.test(path)) return `${digest}  ${path}\n`;
  const escaped = path.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `\\${digest}  ${escaped}\n`;
}

/** The files that make up the hash, in hashing order. */
export function sourceFiles(input: SourceHashInput = {}): string[] {
  const root = input.root ?? VIGIL_ROOT;
  const excluded = new Set(input.exclude ?? DEFAULT_SOURCE_EXCLUDES);
  const files: string[] = [];
  for (const start of input.include ?? DEFAULT_SOURCE_ROOTS) listFiles(root, start, files);
  return files.filter((path) => !excluded.has(path)).sort(bytewise);
}

/** The source hash, 64 lowercase hexadecimal digits. Reads every file once, synchronously. */
export function computeSourceHash(input: SourceHashInput = {}): string {
  const root = input.root ?? VIGIL_ROOT;
  const listing = createHash('sha256');
  for (const path of sourceFiles(input)) {
    const digest = createHash('sha256').update(readFileSync(join(root, path))).digest('hex');
    listing.update(listingLine(digest, path));
  }
  return listing.digest('hex');
}
