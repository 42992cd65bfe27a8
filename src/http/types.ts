import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { VigilConfig } from '../config/types.ts';
import type { CoordinationStatus } from '../coordination/types.ts';
import type { HealthEngine } from '../engine/types.ts';
import type { HistoryService } from '../history/service.ts';
import type { IdentityService } from '../identity/types.ts';
import type { Store } from '../store/types.ts';

/** Facts about the running build, recorded at build time by scripts/build-info.mjs. */
export interface BuildInfo {
  readonly version: string;
  readonly gitHash: string;
  /** ISO 8601 UTC. */
  readonly buildTimestamp: string;
}

/** Everything a handler may read. Handlers never open connections of their own. */
export interface AppDeps {
  readonly config: VigilConfig;
  readonly engine: HealthEngine;
  /** Present when replicas share the store: readiness reports the store, metrics the leases. */
  readonly coordination?: CoordinationStatus;
  readonly identity: IdentityService;
  readonly store: Store;
  /** Each source's stored history (status page, badges, the history operation). */
  readonly history: HistoryService;
  readonly logger: Logger;
  readonly build: BuildInfo;
  /** When this process started (for uptime and started_at). */
  readonly startedAt: Date;
  /** Injected so tests can move time; defaults to Date.now. */
  readonly now: () => number;
  /** True once shutdown has begun: readiness fails at once (Kubernetes' /readyz). */
  readonly shuttingDown: () => boolean;
}

/** One API family's operations, keyed by operationId as in openapi/. */
export type OperationHandlers = Readonly<Record<string, RequestHandler>>;

/** Each family module exports one of these; createApp checks the union against the spec. */
export type FamilyHandlersFactory = (deps: AppDeps) => OperationHandlers;
