// Configuration loading: embedded defaults, one YAML file, environment overrides, secrets
// from the environment or files, and messages that name the bad key and what is expected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseByteSize, parseDuration } from '../../src/config/duration.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(yaml: string): string {
  const path = join(dir, `config-${counter++}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function load(yaml: string | undefined, env: Record<string, string> = {}) {
  const argv = yaml === undefined ? [] : ['--config', file(yaml)];
  return loadConfig({ argv, env, cwd: dir });
}

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('with no file, listens on 127.0.0.1:8080, uses the embedded store and watches the host', () => {
    const config = load(undefined);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080, trustProxy: false });
    expect(config.server.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.store).toEqual({ url: undefined, dataDir: './.vigil-data', embeddedTierUp: false, coordination: { enabled: true, leaseTtlMs: 15_000 } });
    expect(config.sources.map((s) => [s.name, s.kind])).toEqual([['host', 'resources']]);
    expect(config.families).toEqual({ health: { resources: 'host' } });
    expect(config.invalidSources).toEqual([]);
    expect(config.log.level).toBe('info');
  });

  it("gives sources Hasura's defaults: 10s interval and timeout, 3 retries 10s apart, critical", () => {
    const config = load('sources:\n  - name: db\n    kind: postgres\n    url: postgres://127.0.0.1/test\n');
    expect(config.sources[0]).toEqual({
      name: 'db',
      kind: 'postgres',
      critical: true,
      intervalMs: 10_000,
      timeoutMs: 10_000,
      retries: 3,
      retryIntervalMs: 10_000,
      tags: [],
      options: { url: 'postgres://127.0.0.1/test' },
    });
  });

  it('reads the file from VIGIL_CONFIG when --config is absent, and --config wins over it', () => {
    const fromEnv = file('server:\n  port: 9001\n');
    const fromArgv = file('server:\n  port: 9002\n');
    expect(loadConfig({ argv: [], env: { VIGIL_CONFIG: fromEnv } }).server.port).toBe(9001);
    expect(loadConfig({ argv: [`--config=${fromArgv}`], env: { VIGIL_CONFIG: fromEnv } }).server.port).toBe(9002);
  });

  it('keeps families as plain data', () => {
    const config = load('families:\n  status:\n    nats_source: bus\n    jobs: { bucket: jobs }\n');
    expect(config.families).toEqual({ status: { nats_source: 'bus', jobs: { bucket: 'jobs' } } });
  });
});

describe('a source', () => {
  it('takes durations as "10s", "500ms", "2m" or milliseconds, and every other key as an option', () => {
    const config = load(`
sources:
  - name: cache
    kind: redis
    interval: 2m
    timeout: 500ms
    retries: 0
    retry_interval: 1500
    critical: false
    tags: [cache, fast]
    url: redis://127.0.0.1:6379
    db: 2
`);
    expect(config.sources[0]).toMatchObject({
      intervalMs: 120_000,
      timeoutMs: 500,
      retries: 0,
      retryIntervalMs: 1500,
      critical: false,
      tags: ['cache', 'fast'],
      options: { url: 'redis://127.0.0.1:6379', db: 2 },
    });
  });

  it('resolves { env: NAME } and { file: path } secrets inside its options', () => {
    const secretFile = join(dir, 'pg-password');
    writeFileSync(secretFile, 'from-a-file\n');
    const config = load(
      `
sources:
  - name: db
    kind: postgres
    url: { env: PG_URL }
    password: { file: ${secretFile} }
    nested: { list: [{ token: { env: PG_TOKEN } }] }
`,
      { PG_URL: 'postgres://127.0.0.1/test', PG_TOKEN: 't0ken' },
    );
    expect(config.sources[0]?.options).toEqual({
      url: 'postgres://127.0.0.1/test',
      password: 'from-a-file',
      nested: { list: [{ token: 't0ken' }] },
    });
  });

  it('whose secret cannot be resolved goes to invalidSources with the reason, and Vigil still starts', () => {
    const config = load(`
sources:
  - name: db
    kind: postgres
    password: { env: PG_PASSWORD }
  - name: mq
    kind: rabbitmq
    password: { file: ./no-such-file }
  - name: host
    kind: resources
`);
    expect(config.sources.map((s) => s.name)).toEqual(['host']);
    expect(config.invalidSources.map((s) => s.definition.name)).toEqual(['db', 'mq']);
    expect(config.invalidSources[0]?.reason).toContain('environment variable PG_PASSWORD is not set');
    expect(config.invalidSources[1]?.reason).toMatch(/secret file .*no-such-file does not exist/);
  });

  it.each([
    ['an unknown kind', 'kind: postgress', /kind "postgress" is not a known kind/],
    ['a bad interval', 'kind: redis\n    interval: soon', /interval must be a duration such as "10s"/],
    ['negative retries', 'kind: redis\n    retries: -1', /retries must be an integer from 0 to 100/],
    ['tags that are not strings', 'kind: redis\n    tags: [1, 2]', /tags must be a list of strings/],
  ])('with %s is invalid, named in the reason', (_title, fields, reason) => {
    const config = load(`sources:\n  - name: s1\n    ${fields}\n`);
    expect(config.sources).toEqual([]);
    expect(config.invalidSources[0]?.reason).toMatch(reason);
    expect(config.invalidSources[0]?.reason).toContain('sources[0] (s1)');
  });
});

describe('environment overrides', () => {
  it('VIGIL_<SECTION>__<KEY> overrides the file, with YAML scalars', () => {
    const config = load('server:\n  port: 9000\n', {
      VIGIL_SERVER__PORT: '9100',
      VIGIL_SERVER__TRUST_PROXY: 'true',
      VIGIL_STORE__URL: 'postgres://vigil@127.0.0.1:5432/vigil',
      VIGIL_AUTH__SESSION__IDLE_TIMEOUT: '15m',
      VIGIL_LOG__LEVEL: 'debug',
    });
    expect(config.server.port).toBe(9100);
    expect(config.server.trustProxy).toBe(true);
    expect(config.store.url).toBe('postgres://vigil@127.0.0.1:5432/vigil');
    expect(config.auth.session.idleTimeoutMs).toBe(15 * 60_000);
    expect(config.log.level).toBe('debug');
  });

  it('names the variable when its value is bad', () => {
    expect(issuesOf(() => load(undefined, { VIGIL_SERVER__PORT: 'eighty' }))).toEqual([
      'server.port (from VIGIL_SERVER__PORT) must be an integer from 1 to 65535',
    ]);
  });

  it('refuses to override sources (their secrets use { env: NAME })', () => {
    expect(issuesOf(() => load(undefined, { VIGIL_SOURCES__0__URL: 'x' }))[0]).toMatch(/sources cannot be overridden/);
  });
});

describe('bad top-level settings refuse start-up, naming the key and what is expected', () => {
  it.each([
    ['server:\n  port: 70000\n', 'server.port must be an integer from 1 to 65535'],
    ['server:\n  prot: 8080\n', 'server.prot is not a known key (expected one of host, port, body_limit, trust_proxy, shutdown_delay, shutdown_grace, headers_timeout, request_timeout, keep_alive_timeout, idle_timeout, max_connections, probe_connections)'],
    ['server:\n  body_limit: huge\n', 'server.body_limit must be a size such as "100kb", "1mb" or a number of bytes'],
    ['server:\n  shutdown_grace: forever\n', 'server.shutdown_grace must be a duration such as "10s", "500ms", "2m" or a number of milliseconds'],
    ['server:\n  headers_timeout: 40s\n', 'server.headers_timeout must be at most server.request_timeout'],
    ['store:\n  url: mysql://x\n', 'store.url must be a postgres:// or postgresql:// URL'],
    ['store:\n  url: { env: VIGIL_TEST_UNSET_DB_URL }\n', 'store.url: environment variable VIGIL_TEST_UNSET_DB_URL is not set'],
    ['store:\n  coordination:\n    lease_ttl: 100ms\n', 'store.coordination.lease_ttl must be a duration such as "10s", "500ms", "2m" or a number of milliseconds (more than zero)'],
    ['store:\n  coordination:\n    leases: 3\n', 'store.coordination.leases is not a known key (expected one of enabled, lease_ttl)'],
    ['log:\n  level: loud\n', 'log.level must be one of fatal, error, warn, info, debug, trace, silent'],
    ['auth:\n  jwt:\n    issuer: me\n', 'auth.jwt must be given exactly one of secret (HS256) and jwks_url'],
    [
      'auth:\n  jwt:\n    secret: a\n',
      'auth.jwt.secret is 1 bytes long; an HS256 secret must be at least 32 bytes (RFC 7518 section 3.2), e.g. the output of `openssl rand -hex 32`',
    ],
    ['auth:\n  jwt:\n    secret: 0123456789abcdef0123456789abcdef\n    max_lifetime: never\n', 'auth.jwt.max_lifetime must be a duration such as "10s", "500ms", "2m" or a number of milliseconds (more than zero)'],
    ['auth:\n  hasura_admin_secret: { env: VIGIL_TEST_UNSET_HASURA }\n', 'auth.hasura_admin_secret: environment variable VIGIL_TEST_UNSET_HASURA is not set'],
    ['auth:\n  session:\n    redis_source: cache\n', 'auth.session.redis_source must be the name of a source of kind redis ("cache" is not one)'],
    ['sources: {}\n', 'sources must be a list of sources (each a mapping with name and kind)'],
    ['sources:\n  - kind: redis\n', 'sources[0].name must be a name of letters, digits, ".", "_" or "-" (at most 128 characters)'],
    ['sources:\n  - { name: a, kind: redis }\n  - { name: a, kind: redis }\n', 'sources[1].name must be unique ("a" is used twice)'],
    ['colour: blue\n', 'colour is not a known key (expected one of server, store, auth, engine, log, sources, families, history, status_page, alerts)'],
    ['engine:\n  max_concurrent_probes: 0\n', 'engine.max_concurrent_probes must be an integer from 1 to 100000'],
  ])('%j', (yaml, issue) => {
    expect(issuesOf(() => load(yaml))).toEqual([issue]);
  });

  it('reports every problem at once', () => {
    expect(issuesOf(() => load('server:\n  port: 0\n  host: ""\nlog:\n  level: 3\n'))).toHaveLength(3);
  });

  it('names a missing file and a file that is not YAML', () => {
    expect(() => loadConfig({ argv: ['--config', join(dir, 'absent.yaml')], env: {} })).toThrow(/absent\.yaml[\s\S]*does not exist/);
    expect(() => load('server: [unclosed\n')).toThrow(/not valid YAML/);
  });

  it('never puts a secret value into a message', () => {
    const error = (() => {
      try {
        load('store:\n  url: mysql://vigil:s3cr3t-value@db/vigil\n');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toContain('store.url');
    expect(error?.message).not.toContain('s3cr3t-value');
  });
});

describe('auth', () => {
  it('resolves its secrets and converts its durations', () => {
    const secretFile = join(dir, 'jwt-secret');
    writeFileSync(secretFile, 'jwt-from-file-0123456789abcdef-0123');
    const config = load(
      `
auth:
  jwt:
    secret: { file: ${secretFile} }
    issuer: vigil
    audience: ops
  hasura_admin_secret: { env: HASURA_SECRET }
  session: { ttl: 1h, idle_timeout: 10m }
  throttle: { max_failures: 5, window: 30s }
  store_timeout: 750ms
  credential_cache_ttl: 0
  credential_reuse: 500ms
`,
      { HASURA_SECRET: 'from-env' },
    );
    expect(config.auth).toEqual({
      jwt: { secret: 'jwt-from-file-0123456789abcdef-0123', jwksUrl: undefined, issuer: 'vigil', audience: 'ops', roleClaim: 'role', maxLifetimeMs: 86_400_000, clockSkewMs: 60_000 },
      hasuraAdminSecret: 'from-env',
      session: { ttlMs: 3_600_000, idleTimeoutMs: 600_000, redisSource: undefined },
      throttle: { maxFailures: 5, maxAccountFailures: 10, windowMs: 30_000 },
      storeTimeoutMs: 750,
      credentialCacheTtlMs: 0,
      credentialReuseMs: 500,
    });
  });
});

describe('durations and sizes', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    [250, 250],
    ['250', 250],
    ['soon', undefined],
    [-1, undefined],
    ['10 s', undefined],
  ])('duration %j is %j ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['1mb', 1024 * 1024],
    ['100kb', 102_400],
    [4096, 4096],
    ['lots', undefined],
    [0, undefined],
  ])('size %j is %j bytes', (input, expected) => {
    expect(parseByteSize(input)).toBe(expected);
  });
});

describe('vigil.example.yaml', () => {
  const example = fileURLToPath(new URL('../../vigil.example.yaml', import.meta.url));
  const env = { PG_PASSWORD: 'pg-secret', VIGIL_JWT_SECRET: 'jwt-secret-value-0123456789abcdef', HASURA_ADMIN_SECRET: 'hasura-secret-value' };

  it('loads without a problem when its secrets are set', () => {
    const config = loadConfig({ argv: ['--config', example], env });
    expect(config.invalidSources).toEqual([]);
    expect(config.sources.map((s) => s.name)).toEqual(['host', 'db', 'cache']);
    expect(config.auth.jwt?.secret).toBe('jwt-secret-value-0123456789abcdef');
    expect(config.auth.hasuraAdminSecret).toBe('hasura-secret-value');
    expect(config.sources[1]?.options.password).toBe('pg-secret');
  });

  it('reports only the source whose secret is missing', () => {
    const { PG_PASSWORD: _omitted, ...rest } = env;
    const config = loadConfig({ argv: ['--config', example], env: rest });
    expect(config.invalidSources.map((s) => [s.definition.name, s.reason])).toEqual([
      ['db', 'sources[1] (db).password: environment variable PG_PASSWORD is not set'],
    ]);
  });
});
