#!/usr/bin/env node
// Records the facts /health reports about this build (version, git hash, build time) in
// src/build-info.json (git-ignored; read when running from src/ under tsx, e.g. tests), or in
// the files given as arguments (`npm run build` writes dist/src/build-info.json).
// VIGIL_GIT_HASH overrides `git rev-parse` where there is no .git (a container build).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function gitHash() {
  if (process.env.VIGIL_GIT_HASH) return process.env.VIGIL_GIT_HASH;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

const targets = process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(file)) : [resolve(root, 'src/build-info.json')];
const info = { version: pkg.version, gitHash: gitHash(), buildTimestamp: new Date().toISOString() };
for (const target of targets) writeFileSync(target, `${JSON.stringify(info, null, 2)}\n`);
console.log(`build info: ${info.version} ${info.gitHash} ${info.buildTimestamp}`);
