#!/usr/bin/env node
// `npm start`'s first step: builds dist/ when it is missing or older than the sources, so the
// README's `npm install && npm start` works on a fresh clone and after every edit.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { distState, ROOT } from '../bin/dist-state.mjs';

const state = distState();
if (state !== 'fresh') {
  console.log(`dist/ is ${state}: building`);
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}
