// `npm start`: load the configuration, open the store, start the health engine and identity,
// serve the app, and shut down gracefully on SIGTERM/SIGINT.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { safeErrorMessage } from './shared/redact.ts';
import { readBuildInfo } from './build-info.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { createCoordinator, type Coordinator } from './coordination/coordinator.ts';
import { configSecrets } from './config/secrets.ts';
import type { VigilConfig } from './config/types.ts';
import { createHealthEngine } from './engine/engine.ts';
import { createHistoryService, type HistoryService } from './history/service.ts';
import { createAlertService, type AlertService } from './alerts/service.ts';
import type { HealthEngine } from './engine/types.ts';
import { createIdentityService, FIRST_ADMIN_HINT } from './identity/index.ts';
import type { IdentityService } from './identity/types.ts';
import { createLogger } from './log.ts';
import { createStore } from './store/index.ts';
import type { Store } from './store/types.ts';

export interface RunningVigil {
  readonly url: string;
  readonly server: Server;
  readonly config: VigilConfig;
  /** True once shutdown has begun (readiness reads the same flag). */
  shuttingDown(): boolean;
  /** Stops taking work, lets in-flight requests finish (up to the grace period), closes everything. */
  shutdown(reason: string): Promise<void>;
}

export interface StartInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

function urlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}`;
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
    await opened.identity?.close().catch(failed('identity close'));
    await opened.store?.close().catch(failed('store close'));
  };

  let shuttingDown = false;
  let server: Server;
  try {
    const store = (opened.store = await createStore(config.store, logger));
    const history = (opened.history = createHistoryService({ store, logger, settings: config.history }));
    const alerts = (opened.alerts = createAlertService({ store, logger, config: config.alerts }));
    const { url: storeUrl, coordination } = config.store;
    const coordinator = (opened.coordinator =
      storeUrl && coordination.enabled
        ? createCoordinator({ url: storeUrl, sources: config.sources, leaseTtlMs: coordination.leaseTtlMs, logger })
        : undefined);
    const engine = (opened.engine = createHealthEngine({
      sources: config.sources,
      invalidSources: config.invalidSources,
      logger,
      onResult: (result) => {
        history.record(result);
        alerts.onResult(result);
      },
      ...(coordinator ? { coordinator } : {}),
    }));
    const identity = (opened.identity = createIdentityService({
      store,
      auth: config.auth,
      sources: config.sources,
      logger,
      announceBootstrap: false,
    }));
    await coordinator?.start(engine);
    engine.start();
    const app = await createApp({
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
      shuttingDown: () => shuttingDown,
    });
    server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const url = urlOf(server);
    logger.info({ url, docs: `${url}/docs/` }, `vigil listening on ${url} (API docs at ${url}/docs/)`);
    if (!(await identity.adminExists())) logger.warn(FIRST_ADMIN_HINT);
  } catch (error) {
    await closeAll();
    throw error;
  }

  const url = urlOf(server);

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      shuttingDown = true;
      logger.info({ reason, graceMs: config.server.shutdownGraceMs }, 'shutting down: no new connections, finishing in-flight requests');
      // Hand the leases over first: the other replicas probe this one's sources during the drain.
      const handover = opened.coordinator?.stop().catch((error: unknown) => logger.warn({ reason: safeErrorMessage(error, secrets) }, 'lease hand-over failed'));
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => {
        logger.warn('grace period over; closing the remaining connections');
        server.closeAllConnections();
      }, config.server.shutdownGraceMs);
      // Keep-alive sockets that finish a request while draining would otherwise linger.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      await drained;
      await handover;
      clearTimeout(force);
      clearInterval(sweep);
      await closeAll();
      logger.info('vigil stopped');
    })();
    return stopping;
  };
  return { url, server, config, shutdown, shuttingDown: () => shuttingDown };
}

const DUPLICATE_SIGNAL_MS = 1000;

async function main(): Promise<void> {
  let running: RunningVigil;
  try {
    running = await startVigil({ argv: process.argv.slice(2), env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`vigil: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`vigil: cannot start: ${safeErrorMessage(error)}\n`);
    process.exit(1);
  }
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // Under `npm start` one Ctrl-C or SIGTERM reaches us twice within milliseconds (the
    // process group, then npm/tsx relaying it): only a second signal a moment later forces.
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      process.stderr.write(`vigil: ${signal} again; exiting without waiting\n`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    running.shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`vigil: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
