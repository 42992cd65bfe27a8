// `vigil serve` (and `node dist/src/main.js`, `npm start`): load the configuration, open the store, start the health engine and identity,
// serve the app, and shut down gracefully on SIGTERM/SIGINT.
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { createRequestListener, refusalOf } from './app.ts';
import { safeErrorMessage } from './shared/redact.ts';
import { readBuildInfo } from './build-info.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { createCoordinator, type Coordinator } from './coordination/coordinator.ts';
import type { Listener } from './coordination/listener.ts';
import { startRevocationListener } from './coordination/revocations.ts';
import { configSecrets } from './config/secrets.ts';
import type { CheckResult } from './checks/types.ts';
import type { VigilConfig } from './config/types.ts';
import { createHealthEngine } from './engine/engine.ts';
import { createHistoryService, type HistoryService } from './history/service.ts';
import { createAlertService, type AlertService } from './alerts/service.ts';
import type { HealthEngine } from './engine/types.ts';
import { createIdentityService, offerFirstAdminSetup, withdrawStaleSetupToken } from './identity/index.ts';
import type { IdentityService } from './identity/types.ts';
import { createLogger } from './log.ts';
import { createServerLifecycle, type ShutdownOptions } from './server/lifecycle.ts';
import { handleShutdownSignals } from './server/signals.ts';
import { createStore, MEMORY_DATA_DIR } from './store/index.ts';
import type { Store } from './store/types.ts';

export interface RunningVigil {
  readonly url: string;
  readonly server: Server;
  readonly config: VigilConfig;
  /** True once shutdown has begun (readiness reads the same flag). */
  shuttingDown(): boolean;
  /**
   * /readyz fails for `server.shutdown_delay` (unless skipped), then the listener closes,
   * in-flight requests finish (up to `server.shutdown_grace`) and everything else closes.
   */
  shutdown(reason: string, options?: ShutdownOptions): Promise<void>;
  /** Stops at once: cuts every connection (a second signal). */
  forceClose(): void;
}

/** Where the setup token is written: the data directory, unless the store lives in memory. */
function setupTokenDir(config: VigilConfig): string | undefined {
  return config.store.dataDir === MEMORY_DATA_DIR ? undefined : config.store.dataDir;
}

export interface StartInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

/** Starts Vigil and resolves once it listens. Throws ConfigError on a bad configuration. */
export async function startVigil(input: StartInput): Promise<RunningVigil> {
  const config = loadConfig({ argv: input.argv, env: input.env });
  const logger = input.logger ?? createLogger({ level: config.log.level });
  const build = readBuildInfo();
  logger.info({ version: build.version, gitHash: build.gitHash, sources: config.sources.length }, 'vigil starting');
  for (const { definition, reason } of config.invalidSources) {
    logger.warn({ source: definition.name, kind: definition.kind, reason }, 'source cannot be checked as configured; it is reported as failed');
  }

  const opened: {
    store?: Store;
    engine?: HealthEngine;
    coordinator?: Coordinator;
    identity?: IdentityService;
    revocations?: Listener;
    history?: HistoryService;
    alerts?: AlertService;
  } = {};
  const secrets = configSecrets(config);
  const closeAll = async () => {
    const failed = (what: string) => (error: unknown) => logger.error({ error: safeErrorMessage(error, secrets) }, `${what} failed`);
    await opened.engine?.stop().catch(failed('engine stop'));
    // After the engine: nothing is published any more, and the leases go to the other replicas.
    await opened.coordinator?.stop().catch(failed('coordination stop'));
    await opened.history?.close().catch(failed('history close'));
    await opened.alerts?.close().catch(failed('alerts close'));
    await opened.revocations?.close().catch(failed('revocation listener close'));
    await opened.identity?.close().catch(failed('identity close'));
    await opened.store?.close().catch(failed('store close'));
  };

  const lifecycle = createServerLifecycle({ settings: config.server, logger });
  let url: string;
  try {
    const store = (opened.store = await createStore(config.store, logger));
    const history = (opened.history = createHistoryService({ store, logger, settings: config.history }));
    const alerts = (opened.alerts = createAlertService({ store, logger, config: config.alerts }));
    const { url: storeUrl, coordination } = config.store;
    const remember = (result: CheckResult): void => {
      history.record(result);
      alerts.onResult(result);
    };
    // With replicas, a shared source's result counts once the store took it under its lease:
    // a paused replica's late result is fenced off from history and alerts too.
    const coordinator = (opened.coordinator =
      storeUrl && coordination.enabled
        ? createCoordinator({ url: storeUrl, sources: config.sources, leaseTtlMs: coordination.leaseTtlMs, logger, onPublished: remember })
        : undefined);
    const engine = (opened.engine = createHealthEngine({
      sources: config.sources,
      invalidSources: config.invalidSources,
      logger,
      onResult: (result) => {
        if (!coordinator || coordinator.isLocal(result.source)) remember(result);
      },
      ...(coordinator ? { coordinator } : {}),
      maxConcurrentProbes: config.engine.maxConcurrentProbes,
    }));
    const identity = (opened.identity = createIdentityService({
      store,
      auth: config.auth,
      sources: config.sources,
      logger,
      announceBootstrap: false,
      // Failed authentications are counted in the PostgreSQL store, towards one limit for all replicas.
      ...(storeUrl ? { storeUrl } : {}),
    }));
    // Every replica on a PostgreSQL store hears of each revocation and drops it from its cache.
    if (storeUrl) {
      opened.revocations = startRevocationListener({
        url: storeUrl,
        onRevoked: (target) => identity.revoked(target),
        onHearing: (live) => identity.revocationFeed(live),
        onLost: (reason) => logger.warn({ reason }, 'revocation listener lost its store connection; retrying'),
      });
    }
    await coordinator?.start(engine);
    engine.start();
    const { app, fastPath } = await createRequestListener({
      config,
      engine: coordinator ? coordinator.view(engine) : engine,
      ...(coordinator ? { coordination: coordinator } : {}),
      identity,
      store,
      history,
      logger,
      build,
      startedAt: new Date(),
      now: Date.now,
      shuttingDown: lifecycle.shuttingDown,
    });
    url = await lifecycle.listen(app, { refusal: refusalOf(app), ...(fastPath ? { answerAtOnce: fastPath.handle, answerHead: fastPath.answerHead } : {}) });
    logger.info({ url, docs: `${url}/docs/` }, `vigil listening on ${url} (API docs at ${url}/docs/)`);
    // Not awaited: the caller installs its signal handlers as soon as the port is open.
    identity.adminExists().then(
      // No admin yet: a one-time setup token in the data directory lets one be created now.
      async (exists) => {
        if (exists) await withdrawStaleSetupToken(setupTokenDir(config));
        else await offerFirstAdminSetup({ tokens: identity.setupTokens, dataDir: setupTokenDir(config), logger });
      },
      (error: unknown) => logger.warn({ error: safeErrorMessage(error, secrets) }, 'cannot tell whether an admin exists'),
    );
  } catch (error) {
    await closeAll();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string, options?: ShutdownOptions): Promise<void> => {
    stopping ??= (async () => {
      // Hand the leases over first: the other replicas probe this one's sources during the drain.
      const handover = opened.coordinator?.stop().catch((error: unknown) => logger.warn({ reason: safeErrorMessage(error, secrets) }, 'lease hand-over failed'));
      await lifecycle.shutdown(reason, options);
      await handover;
      await closeAll();
      logger.info('vigil stopped');
    })();
    return stopping;
  };
  return { url, server: lifecycle.server, config, shutdown, forceClose: lifecycle.forceClose, shuttingDown: lifecycle.shuttingDown };
}

/**
 * Runs Vigil as this process's job (`vigil serve`, `node dist/src/main.js`): starts it (exit 2 on
 * a bad configuration, 1 when it cannot start) and shuts it down on SIGTERM/SIGINT, exiting 0 once
 * drained; a second signal stops at once.
 */
export async function serve(argv: readonly string[], env: StartInput['env']): Promise<void> {
  const signals = handleShutdownSignals(
    (code, error) => {
      if (error !== undefined) process.stderr.write(`vigil: shutdown failed: ${safeErrorMessage(error)}\n`);
      process.exit(code);
    },
    (line) => process.stderr.write(`${line}\n`),
  );
  let running: RunningVigil;
  try {
    running = await startVigil({ argv, env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`vigil: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`vigil: cannot start: ${safeErrorMessage(error)}\n`);
    process.exit(1);
  }
  signals.attach({ shutdown: running.shutdown, forceStop: running.forceClose });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void serve(process.argv.slice(2), process.env);
}
