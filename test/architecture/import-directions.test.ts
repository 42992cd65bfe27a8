// Dependencies point down (docs/ARCHITECTURE.md): checks never import the HTTP layer,
// renderers never import handlers, the store never imports the API layer. Read from the
// source itself, so a new import that breaks a direction fails here, naming the file.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Folder under src/ -> the folders it must never import from. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  shared: ['checks', 'engine', 'render', 'routes', 'http', 'store', 'identity', 'config', 'cli'],
  checks: ['engine', 'render', 'routes', 'http', 'store', 'identity', 'cli'],
  engine: ['render', 'routes', 'http', 'store', 'identity', 'cli'],
  render: ['routes', 'cli'],
  store: ['checks', 'engine', 'render', 'routes', 'http', 'identity', 'cli'],
  identity: ['render', 'routes', 'http', 'cli'],
  config: ['engine', 'render', 'routes', 'http', 'store', 'identity', 'cli'],
  history: ['engine', 'render', 'routes', 'http', 'identity', 'cli'],
  alerts: ['engine', 'render', 'routes', 'http', 'identity', 'cli', 'history'],
  coordination: ['render', 'routes', 'http', 'identity', 'cli'],
};

/** Known exceptions, each scheduled to go (none left). */
const MOVING: readonly string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative modules a file imports (static, type-only, re-exports and dynamic). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [
    ...code.matchAll(/\b(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1] as string);
  return specifiers.filter((s) => s.startsWith('.'));
}

/** The top folder under src/ of a path, or undefined for a file directly in src/. */
function layerOf(path: string): string | undefined {
  const parts = relative(SRC, path).split(/[\\/]/);
  return parts.length > 1 ? parts[0] : undefined;
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    const forbidden = from === undefined ? undefined : FORBIDDEN[from];
    if (!forbidden) continue;
    for (const specifier of importsOf(file)) {
      const target = resolve(dirname(file), specifier);
      const to = target.startsWith(SRC) ? layerOf(target) : undefined;
      if (to !== undefined && forbidden.includes(to)) found.push(`${relative(SRC, file)} imports ${specifier} (${from} -> ${to})`);
    }
  }
  return found;
}

describe('import directions', () => {
  it('has every layer import only the layers below it', () => {
    expect(violations().filter((v) => !MOVING.includes(v))).toEqual([]);
  });

  it('reads the imports it judges (a broken reader would pass vacuously)', () => {
    const routes = importsOf(join(SRC, 'routes', 'sources.ts'));
    expect(routes).toContain('../render/sources.ts');
    expect(importsOf(join(SRC, 'engine', 'engine.ts'))).toContain('../checks/registry.ts');
  });
});
