// `families.health`: which sources feed each block of 001's answers. Parsed once at start-up;
// every refusal names the key and says what is expected.
//
//   families:
//     health:
//       services: [app-db, cache, vectors]
//       resources: host
//       pipeline: { scripts: scripts-dir, models: models-dir, ffmpeg: ffmpeg }
//       identities: { directory: identities-dir, count: identities-count, column: count }
//       consistency: app-consistency
//       sftpgo: sftpgo
//       schema: app-db            # a postgres source with `migrations`: the application's schema
//       config: { cache: true, auto_pipeline: false, watcher: true }
//       integrations:
//         tmdb: { source: tmdb-api, api_key: { env: TMDB_API_KEY }, enabled: true }
import { readFileSync } from 'node:fs';
import type { SourceDefinition } from '../../checks/types.ts';
import { healthFamilySection, keysOf } from './schema.ts';
import { FamilyConfigError, isRecord, sourceRef as familySourceRef, type FamilySection as Section } from './family-config.ts';

export interface HealthIntegrationConfig {
  /** The `http` source probing the integration's API; undefined when none is configured. */
  readonly source: string | undefined;
  /** Only whether a key is set is kept, never the key. */
  readonly apiKeyConfigured: boolean;
  readonly enabled: boolean;
}

export interface HealthFamilyConfig {
  /** Sources reported under `services` and deciding `status`, in order. */
  readonly services: readonly string[];
  readonly resources: string | undefined;
  readonly pipeline:
    | { readonly scripts: string | undefined; readonly models: string | undefined; readonly ffmpeg: string }
    | undefined;
  readonly identities: { readonly directory: string; readonly count: string; readonly column: string } | undefined;
  readonly consistency: string | undefined;
  readonly sftpgo: string | undefined;
  /**
   * The postgres source (with option `migrations`) whose details give `schema`: the watched
   * application's migrations. Undefined: `schema` reports Vigil's own store.
   */
  readonly schema: string | undefined;
  /** Runtime toggles reported under `config`. */
  readonly toggles: Readonly<Record<string, boolean>>;
  readonly integrations: Readonly<Record<string, HealthIntegrationConfig>>;
}

const PREFIX = 'families.health';
const KEYS = keysOf(healthFamilySection);
/** Kinds that describe the host or data rather than a service; left out of the default `services`. */
const NOT_SERVICES = ['resources', 'filesystem', 'consistency'];
const SQL_KINDS = ['postgres', 'mysql'];

function fail(key: string, expected: string): never {
  throw new FamilyConfigError(`${key === '' ? PREFIX : `${PREFIX}.${key}`}: ${expected}`);
}

function section(value: unknown, key: string, keys: readonly string[]): Section | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) fail(key, `must be a mapping with ${keys.join(', ')}`);
  for (const child of Object.keys(value)) {
    if (!keys.includes(child)) fail(key === '' ? child : `${key}.${child}`, `unknown key; expected one of ${keys.join(', ')}`);
  }
  return value;
}

function sourceRef(
  value: unknown,
  key: string,
  kinds: readonly string[],
  sources: readonly SourceDefinition[],
): string | undefined {
  return familySourceRef(value, `${PREFIX}.${key}`, kinds, sources);
}

function required<T>(value: T | undefined, key: string, what: string): T {
  if (value === undefined) fail(key, `must be set (${what})`);
  return value;
}

function parseServices(value: unknown, sources: readonly SourceDefinition[]): readonly string[] {
  if (value === undefined || value === null) {
    return sources.filter((s) => !NOT_SERVICES.includes(s.kind)).map((s) => s.name);
  }
  if (!Array.isArray(value)) fail('services', 'must be a list of source names');
  const names = value.map((item, index) => {
    if (typeof item !== 'string' || item === '') fail(`services[${index}]`, 'must be the name of a source');
    if (!sources.some((s) => s.name === item)) fail(`services[${index}]`, `no source named "${item}"`);
    return item;
  });
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) fail('services', `lists "${duplicate}" twice`);
  return names;
}

function parseToggles(value: unknown): Readonly<Record<string, boolean>> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) fail('config', 'must be a mapping of toggle name to true or false');
  for (const [name, toggle] of Object.entries(value)) {
    if (typeof toggle !== 'boolean') fail(`config.${name}`, 'must be true or false');
  }
  return value as Readonly<Record<string, boolean>>;
}

/** Whether an API key is set: a string, `{ env: NAME }` or `{ file: path }`. The key itself is dropped. */
function apiKeyConfigured(value: unknown, key: string, env: Readonly<Record<string, string | undefined>>): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (isRecord(value) && Object.keys(value).length === 1) {
    if (typeof value.env === 'string') return (env[value.env] ?? '').trim() !== '';
    if (typeof value.file === 'string') {
      try {
        return readFileSync(value.file, 'utf8').trim() !== '';
      } catch {
        return false;
      }
    }
  }
  return fail(key, 'must be the key, { env: NAME } or { file: path }');
}

function parseIntegrations(
  value: unknown,
  sources: readonly SourceDefinition[],
  env: Readonly<Record<string, string | undefined>>,
): Readonly<Record<string, HealthIntegrationConfig>> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) fail('integrations', 'must be a mapping of integration name to { source, api_key, enabled }');
  const result: Record<string, HealthIntegrationConfig> = {};
  for (const [name, raw] of Object.entries(value)) {
    const key = `integrations.${name}`;
    const item = section(raw, key, ['source', 'api_key', 'enabled']) ?? {};
    const configured = apiKeyConfigured(item.api_key, `${key}.api_key`, env);
    if (item.enabled !== undefined && typeof item.enabled !== 'boolean') fail(`${key}.enabled`, 'must be true or false');
    result[name] = {
      source: sourceRef(item.source, `${key}.source`, ['http'], sources),
      apiKeyConfigured: configured,
      enabled: (item.enabled as boolean | undefined) ?? configured,
    };
  }
  return result;
}

/** `schema`: a postgres or mysql source that reads the application's migrations table. */
function schemaSource(value: unknown, sources: readonly SourceDefinition[]): string | undefined {
  const name = sourceRef(value, 'schema', ['postgres', 'mysql'], sources);
  if (name === undefined) return undefined;
  const options = sources.find((s) => s.name === name)?.options ?? {};
  if (options.migrations === undefined || options.migrations === null) {
    fail('schema', `source "${name}" has no "migrations" option (the application's migrations table and required list)`);
  }
  return name;
}

/**
 * `families.health` checked against every configured source (the engine's, including those
 * the loader refused: they report `failed`). An absent section reports every service and
 * leaves the optional blocks null.
 */
export function parseHealthConfig(
  raw: unknown,
  sources: readonly SourceDefinition[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): HealthFamilyConfig {
  const root = section(raw, '', KEYS) ?? {};
  const pipeline = section(root.pipeline, 'pipeline', ['scripts', 'models', 'ffmpeg']);
  const identities = section(root.identities, 'identities', ['directory', 'count', 'column']);
  const ffmpeg = pipeline?.ffmpeg ?? 'ffmpeg';
  if (typeof ffmpeg !== 'string' || ffmpeg === '') fail('pipeline.ffmpeg', 'must be the name of the ffmpeg executable');
  const column = identities?.column ?? 'count';
  if (typeof column !== 'string' || column === '') fail('identities.column', 'must be a column name of the count query');

  const scripts = sourceRef(pipeline?.scripts, 'pipeline.scripts', ['filesystem'], sources);
  const models = sourceRef(pipeline?.models, 'pipeline.models', ['filesystem'], sources);
  if (pipeline && scripts === undefined && models === undefined) fail('pipeline', 'must name a "scripts" or a "models" source');

  return {
    services: parseServices(root.services, sources),
    resources: sourceRef(root.resources, 'resources', ['resources'], sources),
    pipeline: pipeline ? { scripts, models, ffmpeg } : undefined,
    identities: identities
      ? {
          directory: required(sourceRef(identities.directory, 'identities.directory', ['filesystem'], sources), 'identities.directory', 'a "filesystem" source'),
          count: required(sourceRef(identities.count, 'identities.count', SQL_KINDS, sources), 'identities.count', 'a "postgres" or "mysql" source whose query counts rows'),
          column,
        }
      : undefined,
    consistency: sourceRef(root.consistency, 'consistency', ['consistency'], sources),
    sftpgo: sourceRef(root.sftpgo, 'sftpgo', ['http'], sources),
    schema: schemaSource(root.schema, sources),
    toggles: parseToggles(root.config),
    integrations: parseIntegrations(root.integrations, sources, env),
  };
}
