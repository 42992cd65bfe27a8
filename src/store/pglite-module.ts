// PGlite's WebAssembly module (10 MB of PostgreSQL), compiled once per process and shared by
// every embedded store it opens. By default compiled by V8's baseline compiler (Liftoff) alone:
// otherwise V8 recompiles the hot functions with its optimising compiler (TurboFan) in the
// background, and the malloc'd memory that work takes (about 50 MiB here) stays in the process's
// RSS afterwards. The price is CPU on the embedded store's heavier queries (measured on a shared
// 2-core machine: small inserts about the same, an aggregate over 5,000 rows 1.1-1.6x as long),
// which Vigil's few small tables hardly notice; `store.embedded_tier_up` pays the memory instead.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

/** Node started with a liftoff flag of its own: V8's tiers are the operator's choice. */
function operatorChoseTiers(): boolean {
  return process.execArgv.some((arg) => arg.includes('liftoff'));
}

async function compile(tierUp: boolean): Promise<WebAssembly.Module> {
  const require = createRequire(import.meta.url);
  const bytes = await readFile(path.join(path.dirname(require.resolve('@electric-sql/pglite')), 'pglite.wasm'));
  if (tierUp || operatorChoseTiers()) return new WebAssembly.Module(bytes);
  // V8 reads the flag when it compiles a module and keeps that module's tiers for its life, so
  // it is on only for this synchronous compile (some 25 ms): modules compiled later (undici's
  // HTTP parser, for fetch) get V8's usual tiers.
  setFlagsFromString('--liftoff-only');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    setFlagsFromString('--no-liftoff-only');
  }
}

export function pgliteModule(tierUp: boolean): Promise<WebAssembly.Module> {
  let module = compiled.get(tierUp);
  if (!module) {
    module = compile(tierUp);
    compiled.set(tierUp, module);
    module.catch(() => compiled.delete(tierUp));
  }
  return module;
}
