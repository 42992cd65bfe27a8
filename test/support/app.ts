// Vigil's real app on 127.0.0.1:<ephemeral port>, for tests that talk HTTP through the
// generated client.
//
//   import { startTestApp } from '../support/app.ts';
//   import { getHealth } from '../../generated/sdk.gen.ts';
//
//   const app = await startTestApp({
//     sources: [{ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379' }],
//     config: { auth: { hasuraAdminSecret: 'test-secret' }, families: { ... } },
//   });
//   const { response, data } = await getHealth({ client: app.client });
//   expect(app.logs().join('\n')).not.toContain('hunter2');
//   await app.close();
//
// Everything is real unless you pass your own: an embedded in-memory store (migrated), the
// health engine over `sources` (started; the app is returned once every source has run once),
// the identity service, and every family's handlers from src/routes/index.ts. Parts you pass
// in (engine, identity, store) are yours to close; parts made here are closed by close().
// Log lines are captured (app.logs()); set VIGIL_TEST_LOGS=1 to also see them on stderr.
import { createServer } from 'node:http';
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import { createClient, type Client } from '../../generated/client/index.ts';
import { createRequestListener } from '../../src/app.ts';
import { readBuildInfo } from '../../src/build-info.ts';
import type { SourceDefinition } from '../../src/checks/types.ts';
import { buildConfig, SOURCE_DEFAULTS } from '../../src/config/build.ts';
import type { AuthConfig, EngineConfig, JwtConfig, ServerConfig, StoreConfig, VigilConfig } from '../../src/config/types.ts';
import { JWT_DEFAULTS } from '../../src/shared/jwt-policy.ts';
import { createHealthEngine } from '../../src/engine/engine.ts';
import { createHistoryService, type HistoryService } from '../../src/history/service.ts';
import type { HealthEngine } from '../../src/engine/types.ts';
import type { AppDeps, BuildInfo, FamilyHandlersFactory } from '../../src/http/types.ts';
import { createIdentityService } from '../../src/identity/index.ts';
import type { IdentityService } from '../../src/identity/types.ts';
import { REDACT_PATHS } from '../../src/log.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { listenOnLoopback } from './servers/listen.ts';

/** A source as tests write it: name and kind, the rest defaulted; unknown keys go to options. */
export type TestSource = { readonly name: string; readonly kind: string } & Partial<
  Omit<SourceDefinition, 'name' | 'kind'>
> &
  Readonly<Record<string, unknown>>;

export interface TestConfigInput {
  readonly server?: Partial<ServerConfig>;
  readonly store?: Partial<StoreConfig>;
  readonly engine?: Partial<EngineConfig>;
  readonly auth?: Partial<Omit<AuthConfig, 'session' | 'throttle' | 'jwt'>> & {
    /** auth.jwt.max_lifetime and clock_skew default as in the loader. */
    readonly jwt?: Omit<JwtConfig, 'maxLifetimeMs' | 'clockSkewMs'> & Partial<Pick<JwtConfig, 'maxLifetimeMs' | 'clockSkewMs'>>;
    readonly session?: Partial<AuthConfig['session']>;
    readonly throttle?: Partial<AuthConfig['throttle']>;
  };
  readonly sources?: readonly TestSource[];
  readonly invalidSources?: VigilConfig['invalidSources'];
  readonly families?: VigilConfig['families'];
  readonly history?: Partial<VigilConfig['history']>;
  readonly statusPage?: Partial<VigilConfig['statusPage']>;
  readonly alerts?: Partial<VigilConfig['alerts']>;
  readonly log?: Partial<VigilConfig['log']>;
}

const SOURCE_FIELDS = new Set(['name', 'kind', 'critical', 'intervalMs', 'timeoutMs', 'retries', 'retryIntervalMs', 'tags', 'options']);

/** A full SourceDefinition from a short one (Hasura's defaults; extra keys become options). */
export function testSource(input: TestSource): SourceDefinition {
  const options: Record<string, unknown> = { ...((input.options as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(input)) if (!SOURCE_FIELDS.has(key)) options[key] = value;
  return {
    name: input.name,
    kind: input.kind,
    critical: input.critical ?? SOURCE_DEFAULTS.critical,
    intervalMs: input.intervalMs ?? SOURCE_DEFAULTS.intervalMs,
    timeoutMs: input.timeoutMs ?? 2_000,
    retries: input.retries ?? 0,
    retryIntervalMs: input.retryIntervalMs ?? 100,
    tags: input.tags ?? [],
    options,
  };
}

/**
 * Vigil's defaults with your overrides, for tests: in-memory store, no sources, and a high
 * throttle limits (auth-matrix tests send many bad credentials from 127.0.0.1; set
 * `auth.throttle.maxFailures` or `maxAccountFailures` low to test throttling itself). Test sources default to no
 * retries and a 2 s timeout so failures show quickly.
 */
export function testConfig(input: TestConfigInput = {}): VigilConfig {
  const base = buildConfig({ raw: {}, origins: new Map(), secrets: { env: {}, baseDir: process.cwd() }, where: 'test defaults' });
  return {
    server: { ...base.server, port: 0, ...input.server },
    store: { ...base.store, dataDir: MEMORY_DATA_DIR, ...input.store },
    auth: {
      ...base.auth,
      ...input.auth,
      jwt: input.auth?.jwt ? { ...JWT_DEFAULTS, ...input.auth.jwt } : base.auth.jwt,
      session: { ...base.auth.session, ...input.auth?.session },
      throttle: { ...base.auth.throttle, maxFailures: 1_000, maxAccountFailures: 1_000, ...input.auth?.throttle },
    },
    engine: { ...base.engine, ...input.engine },
    sources: (input.sources ?? []).map(testSource),
    invalidSources: input.invalidSources ?? [],
    families: input.families ?? {},
    history: { ...base.history, ...input.history },
    statusPage: { ...base.statusPage, ...input.statusPage },
    alerts: { ...base.alerts, ...input.alerts },
    log: { ...base.log, ...input.log },
  };
}

export interface CapturedLogger {
  readonly logger: Logger;
  /** Every line written so far (JSON strings). */
  lines(): readonly string[];
}

/** A pino logger like Vigil's (same redaction) that keeps its lines in memory. */
export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: string[] = [];
  const echo = process.env.VIGIL_TEST_LOGS === '1';
  const logger = pino(
    { level, base: { service: 'vigil' }, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } },
    {
      write(line: string) {
        lines.push(line);
        if (echo) process.stderr.write(line);
      },
    },
  );
  return { logger, lines: () => lines };
}

export interface TestAppInput {
  /** Overrides of testConfig() (a complete VigilConfig works too). */
  readonly config?: TestConfigInput;
  /** Shortcut for config.sources. */
  readonly sources?: readonly TestSource[];
  readonly engine?: HealthEngine;
  readonly identity?: IdentityService;
  readonly store?: Store;
  /** Defaults to one over the store, fed by the engine made here. */
  readonly history?: HistoryService;
  /** Handler factories; defaults to every family's (src/routes/index.ts). */
  readonly factories?: readonly FamilyHandlersFactory[];
  /** Another OpenAPI file (platform tests use fixtures). */
  readonly specPath?: string;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly startedAt?: Date;
  readonly build?: BuildInfo;
  readonly shuttingDown?: () => boolean;
  /** Answer plain public probes before Express (default true, as in production). */
  readonly fastPath?: boolean;
  /** Wait until every source has run once before returning (default true). */
  readonly waitForSources?: boolean;
}

export interface TestApp {
  readonly baseUrl: string;
  /** The generated client, pointed at this app. Pass it as `{ client }` to SDK functions. */
  readonly client: Client;
  readonly deps: AppDeps;
  readonly app: Express;
  /** Log lines captured so far (empty when you passed your own logger). */
  logs(): readonly string[];
  /** Stops the server, then closes what was created here (engine, identity, store). */
  close(): Promise<void>;
}

export async function startTestApp(input: TestAppInput = {}): Promise<TestApp> {
  const config = testConfig({ ...input.config, ...(input.sources ? { sources: input.sources } : {}) });
  const captured = input.logger ? undefined : captureLogger();
  const logger = input.logger ?? (captured as CapturedLogger).logger;
  const now = input.now ?? Date.now;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const store = input.store ?? (await createStore(config.store, logger));
    if (!input.store) cleanups.push(() => store.close());

    const identity =
      input.identity ??
      createIdentityService({ store, auth: config.auth, sources: config.sources, logger, now, announceBootstrap: false });
    if (!input.identity) cleanups.push(() => identity.close());

    const history = input.history ?? createHistoryService({ store, logger, settings: config.history, now });
    if (!input.history) cleanups.push(() => history.close());

    let engine = input.engine;
    if (!engine) {
      const created = createHealthEngine({
        sources: config.sources,
        invalidSources: config.invalidSources,
        logger,
        now,
        onResult: history.record,
        maxConcurrentProbes: config.engine.maxConcurrentProbes,
      });
      cleanups.push(() => created.stop());
      created.start();
      if (input.waitForSources ?? true) await created.ready();
      engine = created;
    }

    const deps: AppDeps = {
      config,
      engine,
      identity,
      store,
      history,
      logger,
      build: input.build ?? readBuildInfo(),
      startedAt: input.startedAt ?? new Date(now()),
      now,
      shuttingDown: input.shuttingDown ?? (() => false),
    };
    const { app, listener } = await createRequestListener(deps, input.factories, { specPath: input.specPath, fastPath: input.fastPath ?? true });
    const listening = await listenOnLoopback(createServer(listener));
    const baseUrl = `http://127.0.0.1:${listening.port}`;
    let closed: Promise<void> | undefined;
    return {
      baseUrl,
      client: createClient({ baseUrl }),
      deps,
      app,
      logs: () => captured?.lines() ?? [],
      close() {
        closed ??= listening.close().then(cleanup);
        return closed;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
