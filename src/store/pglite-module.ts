// PGlite's WebAssembly module (10 MB of PostgreSQL), compiled once per process and shared by
// every embedded store it opens. Compiled by V8's baseline compiler (Liftoff) alone: by default
// V8 recompiles the hot functions with its optimising compiler (TurboFan) in the background, and
// the malloc'd memory that work takes (about 50 MiB here) stays in the process's RSS afterwards.
// The price is CPU on the embedded store's queries (measured: small inserts ~10 % slower, an
// aggregate over 5,000 rows ~50 %), which Vigil's few small tables do not notice. Starting node
// with any liftoff flag (`NODE_OPTIONS=--no-liftoff-only`) leaves V8's choice alone.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';

let compiled: Promise<WebAssembly.Module> | undefined;

function operatorChoseTiers(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes('liftoff'));
}

async function compile(): Promise<WebAssembly.Module> {
  const require = createRequire(import.meta.url);
  const bytes = await readFile(path.join(path.dirname(require.resolve('@electric-sql/pglite')), 'pglite.wasm'));
  if (operatorChoseTiers()) return new WebAssembly.Module(bytes);
  // V8 reads the flag when it compiles a module and keeps that module's tiers for its life, so
  // it is on only for this synchronous compile (some 25 ms): later modules (undici's HTTP parser
  // for fetch) are compiled as usual.
  setFlagsFromString('--liftoff-only');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    setFlagsFromString('--no-liftoff-only');
  }
}

export function pgliteModule(): Promise<WebAssembly.Module> {
  compiled ??= compile().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return compiled;
}
