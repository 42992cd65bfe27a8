// 001 Health Check handlers. Each reads the engine's snapshot only; the one exception is
// Vigil's own migration status (`schema`), read from the store at most once per few seconds
// and never waited on for long.
import type { Response } from 'express';
import { safeErrorMessage } from '../shared/redact.ts';
import { configSecrets } from '../config/secrets.ts';
import type { HealthEngine } from '../engine/types.ts';
import { renderError } from '../http/errors.ts';
import type { AppDeps, FamilyHandlersFactory, PublicAnswer } from '../http/types.ts';
import type { HealthBasic } from '../../generated/types.gen.ts';
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
export function createMigrationStatusCache(input: MigrationStatusCacheInput): () => Promise<MigrationStatus | undefined> {
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

  return async () => {
    if (last && input.now() - last.at < ttlMs) return last.value;
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
}

/** The engine's states by name: one lookup per source named, not a map of every source per request. */
function snapshot(engine: HealthEngine): SourceLookup {
  return (name) => engine.source(name);
}

function sendUnavailable(res: Response, value: Unavailable): void {
  res.status(503).json(renderError('health', { status: 503, code: 'unavailable', message: value.unavailable }));
}

function healthConfigOf(deps: Pick<AppDeps, 'config'>) {
  const sources = [...deps.config.sources, ...deps.config.invalidSources.map((s) => s.definition)];
  return parseHealthConfig(deps.config.families.health, sources);
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
  const secrets = configSecrets(deps.config);
  const migrations = createMigrationStatusCache({
    store: deps.store,
    now: deps.now,
    onError: (error) =>
      deps.logger.error({ reason: safeErrorMessage(error, secrets) }, 'health: cannot read the migration status of the store'),
  });
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
      const status = config.schema === undefined ? await migrations() : undefined;
      res.json(renderHealthDetailed({ config, lookup: snapshot(deps.engine), build: deps.build, migrations: status }));
    },

    getHealthConsistency(_req, res) {
      const report = renderConsistency(config.consistency === undefined ? undefined : deps.engine.source(config.consistency));
      if (isUnavailable(report)) return sendUnavailable(res, report);
      res.json(report);
    },

    getSftpgoStats(_req, res) {
      const stats = renderSftpgo(config.sftpgo === undefined ? undefined : deps.engine.source(config.sftpgo));
      if (isUnavailable(stats)) return sendUnavailable(res, stats);
      res.json(stats);
    },
  };
};
