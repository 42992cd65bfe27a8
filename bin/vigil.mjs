#!/usr/bin/env node
// The `vigil` command (package.json "bin"): `vigil serve`, `vigil check`, `vigil users ...`.
// Runs the compiled CLI in dist/ under plain node (an installed package, a container). In a
// checkout whose dist/ is missing or older than src/, it runs the sources through tsx (a
// development dependency) instead, so a stale build never answers for edited code.
import { pathToFileURL } from 'node:url';
import { DIST_CLI, distState } from './dist-state.mjs';

async function sourceCli() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    return undefined;
  }
  return import('../src/cli/main.ts');
}

const state = distState();
const cli = (state === 'fresh' ? undefined : await sourceCli()) ?? (state === 'missing' ? undefined : await import(pathToFileURL(DIST_CLI).href));
if (!cli) {
  process.stderr.write('vigil: dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}
await cli.main();
