// Whether dist/ (the `npm run build` output) is present and at least as new as the sources
// it was compiled from. Shared by bin/vigil.mjs and `npm start`'s build-when-needed step.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST_ENTRY = join(ROOT, 'dist', 'src', 'main.js');
export const DIST_CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** Written last by scripts/build.mjs: its time is when the build finished. */
export const BUILD_MARK = join(ROOT, 'dist', 'src', 'build-info.json');
/** Inputs of the build; src/build-info.json is rewritten by every test run and is not one. */
const INPUTS = ['src', 'generated', 'tsconfig.json', 'tsconfig.build.json'];
const IGNORED = new Set([join(ROOT, 'src', 'build-info.json')]);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return IGNORED.has(path) ? 0 : stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** 'missing', 'stale' (a source changed after the build) or 'fresh'. */
export function distState() {
  const built = mtime(BUILD_MARK);
  if (built === undefined || mtime(DIST_ENTRY) === undefined) return 'missing';
  const changed = Math.max(...INPUTS.map((input) => newest(join(ROOT, input))));
  return changed > built ? 'stale' : 'fresh';
}
