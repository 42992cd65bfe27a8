#!/usr/bin/env node
// Records the facts /health reports about this build (version, git hash, build time) in
// src/build-info.json (git-ignored). Runs before `npm start` and `npm test`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function gitHash() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

const info = { version: pkg.version, gitHash: gitHash(), buildTimestamp: new Date().toISOString() };
writeFileSync(new URL('../src/build-info.json', import.meta.url), `${JSON.stringify(info, null, 2)}\n`);
console.log(`build info: ${info.version} ${info.gitHash} ${info.buildTimestamp}`);
