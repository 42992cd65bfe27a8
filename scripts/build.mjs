#!/usr/bin/env node
// `npm run build`: compiles src/ with tsc (tsconfig.build.json) into dist/, copies the files
// the code reads at run time (SQL migrations), and records the build info last: its file is
// the mark bin/dist-state.mjs compares the sources against. The spec stays in openapi/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { BUILD_MARK, ROOT } from '../bin/dist-state.mjs';

const DIST = join(ROOT, 'dist');
/** Files under src/ that are not compiled and are not data the code reads. */
const NOT_ASSETS = new Set(['build-info.json']);

function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (!entry.name.endsWith('.ts') && !NOT_ASSETS.has(entry.name)) {
      const target = join(DIST, relative(ROOT, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
    }
  }
}

rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
} catch {
  process.stderr.write('build: tsc failed (see above)\n');
  process.exit(1);
}
copyAssets(join(ROOT, 'src'));
execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-info.mjs'), BUILD_MARK], { cwd: ROOT, stdio: 'inherit' });
console.log(`build: ${relative(process.cwd(), DIST) || '.'} ready (node dist/src/main.js)`);
