// 001 Health Check handlers. Each reads the engine's snapshot only; the one exception is
// Vigil's own migration status (`schema`), read from the store at most once per few seconds
// and never waited on for long.
import type { Response } from 'express';
import { safeErrorMessage } from '../shared/redact.ts';
import { configSecrets } from '../config/secrets.ts';
import type { HealthEngine } from '../engine/types.ts';
import { sendAnswer } from '../http/answer.ts';
import { renderError } from '../http/errors.ts';
import type { AppDeps, FamilyHandlersFactory, PublicAnswer } from '../http/types.ts';
import type { HealthBasic, HealthDetailedReport } from '../../generated/types.gen.ts';
import { parseHealthConfig } from '../config/families/health.ts';
import {
  isUnavailable,
  renderConsistency,
  renderHealthBasic,
  renderHealthDetailed,
  renderSftpgo,
  type SourceLookup,
  type Unavailable,
} from '../render/health.ts';
import type { MigrationStatus, Store } from '../store/types.ts';
import { renderHealthJson } from '../render/health-json.ts';
import { sendHealthJson, wantsHealthJson } from '../http/health-json.ts';

/** How long a migration status is reused: migrations only change when Vigil starts. */
const SCHEMA_TTL_MS = 5_000;
/** How long a request may wait for the store before answering without a fresh status. */
const SCHEMA_WAIT_MS = 1_000;

export interface MigrationStatusCacheInput {
  readonly store: Pick<Store, 'migrationStatus'>;
  readonly now: () => number;
  readonly ttlMs?: number;
  readonly waitMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * The store's migration status, shared by concurrent requests and reused for `ttlMs`. A read
 * that takes longer than `waitMs` answers with the previous status (undefined at first) while
 * the read goes on in the background.
 */
export type MigrationStatusCache = (() => Promise<MigrationStatus | undefined>) & {
  /** The status read less than `ttlMs` ago, if any, without reading: what a call would resolve to now. */
  fresh(): { readonly value: MigrationStatus | undefined; readonly at: number } | undefined;
};

export function createMigrationStatusCache(input: MigrationStatusCacheInput): MigrationStatusCache {
  const ttlMs = input.ttlMs ?? SCHEMA_TTL_MS;
  const waitMs = input.waitMs ?? SCHEMA_WAIT_MS;
  let last: { readonly value: MigrationStatus | undefined; readonly at: number } | undefined;
  let reading: Promise<MigrationStatus | undefined> | undefined;

  function refresh(): Promise<MigrationStatus | undefined> {
    reading ??= input.store
      .migrationStatus()
      .catch((error: unknown) => {
        input.onError?.(error);
        return undefined;
      })
      .then((value) => {
        last = { value, at: input.now() };
        reading = undefined;
        return value;
      });
    return reading;
  }

  const fresh = () => (last && input.now() - last.at < ttlMs ? last : undefined);
  const get = async (): Promise<MigrationStatus | undefined> => {
    const known = fresh();
    if (known) return known.value;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<MigrationStatus | undefined>((resolve) => {
      timer = setTimeout(() => resolve(last?.value), waitMs);
    });
    try {
      return await Promise.race([refresh(), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  };
  return Object.assign(get, { fresh });
}

/**
 * One migration status cache per app's dependencies, shared by the Express handler and the
 * fast path's answer (which answers only while the status is fresh, so both give the same one).
 */
const migrationCaches = new WeakMap<AppDeps, MigrationStatusCache>();

function migrationStatusFor(deps: AppDeps): MigrationStatusCache {
  let cache = migrationCaches.get(deps);
  if (!cache) {
    const secrets = configSecrets(deps.config);
    cache = createMigrationStatusCache({
      store: deps.store,
      now: deps.now,
      onError: (error) =>
        deps.logger.error({ reason: safeErrorMessage(error, secrets) }, 'health: cannot read the migration status of the store'),
    });
    migrationCaches.set(deps, cache);
  }
  return cache;
}

/** The engine's states by name: one lookup per source named, not a map of every source per request. */
function snapshot(engine: HealthEngine): SourceLookup {
  return (name) => engine.source(name);
}

function unavailableBody(value: Unavailable): unknown {
  return renderError('health', { status: 503, code: 'unavailable', message: value.unavailable });
}

function sendUnavailable(res: Response, value: Unavailable): void {
  res.status(503).json(unavailableBody(value));
}

function healthConfigOf(deps: Pick<AppDeps, 'config'>) {
  const sources = [...deps.config.sources, ...deps.config.invalidSources.map((s) => s.definition)];
  return parseHealthConfig(deps.config.families.health, sources);
}

/** 001's `GET /health/detailed` (JSON) for a migration status already read (or the application's, with families.health.schema). */
export function createHealthDetailedAnswer(deps: AppDeps): {
  readonly answer: (migrations: MigrationStatus | undefined) => PublicAnswer<HealthDetailedReport>;
  /** Whether the answer needs Vigil's own migration status (no families.health.schema). */
  readonly readsMigrations: boolean;
  readonly migrations: MigrationStatusCache;
} {
  const config = healthConfigOf(deps);
  return {
    answer: (migrations) => ({
      status: 200,
      contentType: 'application/json',
      body: renderHealthDetailed({ config, lookup: snapshot(deps.engine), build: deps.build, migrations }),
    }),
    readsMigrations: config.schema === undefined,
    migrations: migrationStatusFor(deps),
  };
}

/** 001's `GET /health/consistency`: the report, or a 503 in the family's error shape. */
export function createConsistencyAnswer(deps: Pick<AppDeps, 'config' | 'engine'>): () => PublicAnswer {
  const config = healthConfigOf(deps);
  return () => {
    const report = renderConsistency(config.consistency === undefined ? undefined : deps.engine.source(config.consistency));
    if (isUnavailable(report)) return { status: 503, contentType: 'application/json', body: unavailableBody(report) };
    return { status: 200, contentType: 'application/json', body: report };
  };
}

/** 001's public `GET /health`. */
export function createHealthBasicAnswer(deps: Pick<AppDeps, 'config' | 'engine' | 'build' | 'startedAt' | 'now'>): () => PublicAnswer<HealthBasic> {
  const config = healthConfigOf(deps);
  const startedAtMs = deps.startedAt.getTime();
  return () => ({
    status: 200,
    contentType: 'application/json',
    body: renderHealthBasic({ config, lookup: snapshot(deps.engine), build: deps.build, startedAtMs, nowMs: deps.now() }),
  });
}

export const healthHandlers: FamilyHandlersFactory = (deps) => {
  const config = healthConfigOf(deps);
  const basic = createHealthBasicAnswer(deps);
  const detailed = createHealthDetailedAnswer(deps);
  const consistency = createConsistencyAnswer(deps);
  const healthJsonOf = (status: 'ok' | 'degraded', withOutput: boolean) =>
    renderHealthJson({
      status: status === 'ok' ? 'pass' : 'warn',
      build: deps.build,
      description: 'Vigil: the services of families.health',
      sources: config.services.flatMap((name) => deps.engine.source(name) ?? []),
      withOutput,
    });

  return {
    getHealth(req, res) {
      const { body } = basic();
      if (wantsHealthJson(req)) return sendHealthJson(res, 200, healthJsonOf(body.status, false));
      res.json(body);
    },

    async getHealthDetailed(req, res) {
      if (wantsHealthJson(req)) {
        const overall = basic().body.status;
        return sendHealthJson(res, 200, healthJsonOf(overall, true));
      }
      // With families.health.schema the block is the application's: no store read needed.
      sendAnswer(res, detailed.answer(detailed.readsMigrations ? await detailed.migrations() : undefined));
    },

    getHealthConsistency(_req, res) {
      sendAnswer(res, consistency());
    },

    getSftpgoStats(_req, res) {
      const stats = renderSftpgo(config.sftpgo === undefined ? undefined : deps.engine.source(config.sftpgo));
      if (isUnavailable(stats)) return sendUnavailable(res, stats);
      res.json(stats);
    },
  };
};
