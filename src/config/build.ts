// Turns the raw YAML object (overrides applied) into a VigilConfig: defaults merged once,
// durations in ms, secrets resolved. Every problem with a top-level setting is collected and
// reported together; a problem inside one source only takes that source out (invalidSources).
import { SOURCE_KINDS, type SourceDefinition } from '../checks/types.ts';
import { parseByteSize, parseDuration } from './duration.ts';
import { resolveSecretRefs, SecretResolutionError, type SecretContext } from './secret-ref.ts';
import type { AuthConfig, JwtConfig, ServerConfig, StoreConfig, VigilConfig } from './types.ts';

/** Refuses start-up; `issues` name each bad key and what is expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: readonly string[],
    where: string,
  ) {
    super(`invalid configuration (${where}):\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SOURCE_DEFAULTS = {
  intervalMs: 10_000,
  timeoutMs: 10_000,
  retries: 3,
  retryIntervalMs: 10_000,
  critical: true,
} as const;

const TOP_KEYS = ['server', 'store', 'auth', 'log', 'sources', 'families'];
const SERVER_KEYS = ['host', 'port', 'body_limit', 'trust_proxy', 'shutdown_grace'];
const STORE_KEYS = ['url', 'data_dir'];
const AUTH_KEYS = ['jwt', 'hasura_admin_secret', 'session', 'throttle'];
const JWT_KEYS = ['secret', 'jwks_url', 'issuer', 'audience', 'role_claim'];
const SESSION_KEYS = ['ttl', 'idle_timeout', 'redis_source'];
const THROTTLE_KEYS = ['max_failures', 'window'];
const LOG_KEYS = ['level'];
/** Source keys Vigil reads itself (Hasura's names); every other key goes to `options`. */
const SOURCE_KEYS = ['name', 'kind', 'interval', 'timeout', 'retries', 'retry_interval', 'critical', 'tags'];

const DURATION_HINT = 'a duration such as "10s", "500ms", "2m" or a number of milliseconds';

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed values out of raw sections, collecting one sentence per problem. */
class Reader {
  readonly issues: string[] = [];
  constructor(
    private readonly origins: ReadonlyMap<string, string>,
    private readonly secrets: SecretContext,
  ) {}

  private label(path: string): string {
    const origin = this.origins.get(path);
    return origin ? `${path} (from ${origin})` : path;
  }

  fail(path: string, expected: string): undefined {
    this.issues.push(`${this.label(path)} must be ${expected}`);
    return undefined;
  }

  section(parent: Raw, key: string, path: string, known: readonly string[]): Raw {
    const value = parent[key];
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) {
      this.fail(path, `a mapping with keys ${known.join(', ')}`);
      return {};
    }
    for (const name of Object.keys(value)) {
      if (!known.includes(name)) this.issues.push(`${this.label(`${path}.${name}`)} is not a known key (expected one of ${known.join(', ')})`);
    }
    return value;
  }

  string(raw: Raw, key: string, path: string, fallback: string): string;
  string(raw: Raw, key: string, path: string, fallback?: undefined): string | undefined;
  string(raw: Raw, key: string, path: string, fallback?: string): string | undefined {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || value === '') return this.fail(`${path}.${key}`, 'a non-empty string') ?? fallback;
    return value;
  }

  /** A string that may be written `{ env: NAME }` or `{ file: path }`. */
  secret(raw: Raw, key: string, path: string): string | undefined {
    const value = raw[key];
    if (value === undefined || value === null) return undefined;
    try {
      const resolved = resolveSecretRefs(value, this.secrets, `${path}.${key}`);
      if (typeof resolved === 'string' && resolved !== '') return resolved;
      return this.fail(`${path}.${key}`, 'a non-empty string, { env: NAME } or { file: path }');
    } catch (error) {
      if (error instanceof SecretResolutionError) {
        this.issues.push(error.message);
        return undefined;
      }
      throw error;
    }
  }

  integer(raw: Raw, key: string, path: string, fallback: number, min: number, max: number): number {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(`${path}.${key}`, `an integer from ${min} to ${max}`) ?? fallback;
    }
    return value;
  }

  boolean(raw: Raw, key: string, path: string, fallback: boolean): boolean {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') return this.fail(`${path}.${key}`, 'true or false') ?? fallback;
    return value;
  }

  duration(raw: Raw, key: string, path: string, fallback: number, min = 1): number {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined || ms < min) return this.fail(`${path}.${key}`, DURATION_HINT + (min > 0 ? ' (more than zero)' : '')) ?? fallback;
    return ms;
  }

  size(raw: Raw, key: string, path: string, fallback: number): number {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    const bytes = parseByteSize(value);
    if (bytes === undefined) return this.fail(`${path}.${key}`, 'a size such as "100kb", "1mb" or a number of bytes') ?? fallback;
    return bytes;
  }

  oneOf<T extends string>(raw: Raw, key: string, path: string, allowed: readonly T[], fallback: T): T {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      return this.fail(`${path}.${key}`, `one of ${allowed.join(', ')}`) ?? fallback;
    }
    return value as T;
  }
}

function buildServer(r: Reader, root: Raw): ServerConfig {
  const raw = r.section(root, 'server', 'server', SERVER_KEYS);
  return {
    host: r.string(raw, 'host', 'server', '127.0.0.1'),
    port: r.integer(raw, 'port', 'server', 8080, 1, 65535),
    bodyLimitBytes: r.size(raw, 'body_limit', 'server', 1024 * 1024),
    trustProxy: r.boolean(raw, 'trust_proxy', 'server', false),
    shutdownGraceMs: r.duration(raw, 'shutdown_grace', 'server', 10_000, 0),
  };
}

function buildStore(r: Reader, root: Raw): StoreConfig {
  const raw = r.section(root, 'store', 'store', STORE_KEYS);
  const url = r.secret(raw, 'url', 'store');
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) r.fail('store.url', 'a postgres:// or postgresql:// URL');
  return { url, dataDir: r.string(raw, 'data_dir', 'store', './.vigil-data') };
}

function buildJwt(r: Reader, auth: Raw): JwtConfig | undefined {
  if (auth.jwt === undefined || auth.jwt === null) return undefined;
  const raw = r.section(auth, 'jwt', 'auth.jwt', JWT_KEYS);
  const secret = r.secret(raw, 'secret', 'auth.jwt');
  const jwksUrl = r.string(raw, 'jwks_url', 'auth.jwt');
  if ((secret === undefined) === (jwksUrl === undefined) && !r.issues.some((i) => i.startsWith('auth.jwt.secret'))) {
    r.fail('auth.jwt', 'given exactly one of secret (HS256) and jwks_url');
  }
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) r.fail('auth.jwt.jwks_url', 'an http:// or https:// URL');
  return {
    secret,
    jwksUrl,
    issuer: r.string(raw, 'issuer', 'auth.jwt'),
    audience: r.string(raw, 'audience', 'auth.jwt'),
    roleClaim: r.string(raw, 'role_claim', 'auth.jwt', 'role'),
  };
}

function buildAuth(r: Reader, root: Raw): AuthConfig {
  const raw = r.section(root, 'auth', 'auth', AUTH_KEYS);
  const session = r.section(raw, 'session', 'auth.session', SESSION_KEYS);
  const throttle = r.section(raw, 'throttle', 'auth.throttle', THROTTLE_KEYS);
  return {
    jwt: buildJwt(r, raw),
    hasuraAdminSecret: r.secret(raw, 'hasura_admin_secret', 'auth'),
    session: {
      ttlMs: r.duration(session, 'ttl', 'auth.session', 12 * 3_600_000),
      idleTimeoutMs: r.duration(session, 'idle_timeout', 'auth.session', 30 * 60_000),
      redisSource: r.string(session, 'redis_source', 'auth.session'),
    },
    throttle: {
      maxFailures: r.integer(throttle, 'max_failures', 'auth.throttle', 10, 1, 1_000_000),
      windowMs: r.duration(throttle, 'window', 'auth.throttle', 60_000),
    },
  };
}

interface SourcesResult {
  readonly sources: SourceDefinition[];
  readonly invalidSources: { definition: SourceDefinition; reason: string }[];
}

function buildSource(raw: Raw, index: number, secrets: SecretContext): { definition: SourceDefinition; reason?: string } {
  const name = raw.name as string;
  const path = `sources[${index}] (${name})`;
  // Per-source problems make the source `failed`, not the whole process: a second Reader.
  const r = new Reader(new Map(), secrets);
  const options: Raw = {};
  for (const [key, value] of Object.entries(raw)) if (!SOURCE_KEYS.includes(key)) options[key] = value;

  const kind = typeof raw.kind === 'string' ? raw.kind : '';
  if (kind === '') r.fail(`${path}.kind`, `one of ${SOURCE_KINDS.join(', ')}`);
  else if (!(SOURCE_KINDS as readonly string[]).includes(kind)) {
    r.issues.push(`${path}.kind "${kind}" is not a known kind (expected one of ${SOURCE_KINDS.join(', ')})`);
  }
  const tags = raw.tags;
  const tagList = tags === undefined || tags === null ? [] : Array.isArray(tags) && tags.every((t) => typeof t === 'string') ? (tags as string[]) : (r.fail(`${path}.tags`, 'a list of strings') ?? []);
  const base = {
    name,
    kind,
    critical: r.boolean(raw, 'critical', path, SOURCE_DEFAULTS.critical),
    intervalMs: r.duration(raw, 'interval', path, SOURCE_DEFAULTS.intervalMs),
    timeoutMs: r.duration(raw, 'timeout', path, SOURCE_DEFAULTS.timeoutMs),
    retries: r.integer(raw, 'retries', path, SOURCE_DEFAULTS.retries, 0, 100),
    retryIntervalMs: r.duration(raw, 'retry_interval', path, SOURCE_DEFAULTS.retryIntervalMs, 0),
    tags: tagList,
  };
  let resolved: Raw = options;
  try {
    resolved = resolveSecretRefs(options, secrets, '') as Raw;
  } catch (error) {
    if (!(error instanceof SecretResolutionError)) throw error;
    // "password: environment variable PG_PASSWORD is not set"; the unresolved reference stays.
    r.issues.push(`${path}.${error.message}`);
  }
  const definition: SourceDefinition = { ...base, options: resolved };
  return r.issues.length > 0 ? { definition, reason: r.issues.join('; ') } : { definition };
}

function buildSources(r: Reader, root: Raw, secrets: SecretContext): SourcesResult {
  const result: SourcesResult = { sources: [], invalidSources: [] };
  const list = root.sources;
  if (list === undefined || list === null) return result;
  if (!Array.isArray(list)) {
    r.fail('sources', 'a list of sources (each a mapping with name and kind)');
    return result;
  }
  const seen = new Set<string>();
  list.forEach((raw: unknown, index) => {
    if (!isRecord(raw)) return r.fail(`sources[${index}]`, 'a mapping with name and kind');
    if (typeof raw.name !== 'string' || !/^[A-Za-z0-9][\w.-]{0,127}$/.test(raw.name)) {
      return r.fail(`sources[${index}].name`, 'a name of letters, digits, ".", "_" or "-" (at most 128 characters)');
    }
    if (seen.has(raw.name)) return r.fail(`sources[${index}].name`, `unique ("${raw.name}" is used twice)`);
    seen.add(raw.name);
    const { definition, reason } = buildSource(raw, index, secrets);
    if (reason) result.invalidSources.push({ definition, reason });
    else result.sources.push(definition);
  });
  return result;
}

export interface BuildInput {
  readonly raw: Raw;
  readonly origins: ReadonlyMap<string, string>;
  readonly secrets: SecretContext;
  /** Names the file (or "embedded defaults") in the error message. */
  readonly where: string;
}

/** The validated configuration; throws ConfigError listing every bad top-level setting. */
export function buildConfig(input: BuildInput): VigilConfig {
  const { raw, origins, secrets, where } = input;
  const r = new Reader(origins, secrets);
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.includes(key)) r.issues.push(`${key} is not a known key (expected one of ${TOP_KEYS.join(', ')})`);
  }
  const server = buildServer(r, raw);
  const store = buildStore(r, raw);
  const auth = buildAuth(r, raw);
  const log = { level: r.oneOf(r.section(raw, 'log', 'log', LOG_KEYS), 'level', 'log', LOG_LEVELS, 'info') };
  const { sources, invalidSources } = buildSources(r, raw, secrets);
  const families = raw.families ?? {};
  if (!isRecord(families)) r.fail('families', 'a mapping from family name to its settings');
  const redisSource = auth.session.redisSource;
  if (redisSource !== undefined) {
    const target = [...sources, ...invalidSources.map((s) => s.definition)].find((s) => s.name === redisSource);
    if (!target || target.kind !== 'redis') r.fail('auth.session.redis_source', `the name of a source of kind redis ("${redisSource}" is not one)`);
  }
  if (r.issues.length > 0) throw new ConfigError(r.issues, where);
  return { server, store, auth, sources, invalidSources, families: isRecord(families) ? families : {}, log };
}
