// Environment overrides: VIGIL_<SECTION>__<KEY>[__<KEY>...]=value sets the YAML key of the
// same path (lower-cased), e.g. VIGIL_SERVER__PORT=9000, VIGIL_STORE__URL=postgres://...,
// VIGIL_AUTH__SESSION__IDLE_TIMEOUT=15m. Values are read as YAML scalars ("9000" -> 9000,
// "true" -> true), with the file's parser (load.ts). Variables without "__" (VIGIL_CONFIG) are
// not overrides.
import { CORE_SCHEMA, load as parseYaml } from 'js-yaml';

export const ENV_PREFIX = 'VIGIL_';

export interface EnvOverride {
  readonly variable: string;
  /** The YAML path, e.g. ["server", "port"]. */
  readonly path: readonly string[];
  readonly value: unknown;
}

function scalar(text: string): unknown {
  try {
    const value: unknown = parseYaml(text, { schema: CORE_SCHEMA });
    return value === null || typeof value === 'object' ? text : value;
  } catch {
    return text;
  }
}

/** Every override in `env`, sorted so that the outcome does not depend on variable order. */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverride[] {
  return Object.entries(env)
    .filter(([name, value]) => name.startsWith(ENV_PREFIX) && name.includes('__') && value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, value]) => ({
      variable,
      path: variable.slice(ENV_PREFIX.length).toLowerCase().split('__').filter(Boolean),
      value: scalar(value as string),
    }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `raw` with the overrides applied (a copy). Returns, per dotted key, the variable that set
 * it, so validation messages can say where a bad value came from. Lists (sources) cannot be
 * overridden: their secrets use `{ env: NAME }` instead.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  overrides: readonly EnvOverride[],
): { readonly raw: Record<string, unknown>; readonly origins: ReadonlyMap<string, string> } {
  // Copies only the mappings on an overridden path: a deep clone of the whole file (20,000
  // sources) cost as much memory as the file itself, for nothing when no variable is set.
  const copied = new WeakSet<object>();
  const copyOf = (value: Record<string, unknown>): Record<string, unknown> => {
    const copy = { ...value };
    copied.add(copy);
    return copy;
  };
  const root = copyOf(raw);
  const origins = new Map<string, string>();
  for (const { variable, path, value } of overrides) {
    if (path.length === 0) continue;
    if (path[0] === 'sources') {
      throw new Error(`${variable}: sources cannot be overridden from the environment; write { env: NAME } inside the source instead`);
    }
    let node: Record<string, unknown> = root;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null) node[key] = copyOf({});
      else if (!isRecord(next)) throw new Error(`${variable}: ${path.join('.')} cannot be set because ${key} is not a section`);
      else if (!copied.has(next)) node[key] = copyOf(next);
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
    origins.set(path.join('.'), variable);
  }
  return { raw: root, origins };
}
