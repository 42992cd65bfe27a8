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

/**
 * A snapshot answer as data, built by the family's module: the Express handler sends it
 * (`sendAnswer`) and the fast path caches it, so both paths answer from the same function.
 */
export interface PublicAnswer<Body = unknown> {
  readonly status: number;
  readonly contentType: 'application/json' | 'text/plain';
  /** An object (sent as JSON, as res.json does) or, for text/plain, a string. */
  readonly body: Body;
}

/** How the fast path gets one operation's parameter-less answer (public, or to an accepted caller). */
export interface SnapshotAnswerSource {
  readonly operationId: string;
  /**
   * Equal keys, equal answers: the answer is rebuilt only when the key changes. Undefined when
   * the answer cannot be given now without the full stack (it would have to read the store).
   */
  key(): number | string | undefined;
  build(): PublicAnswer;
  /**
   * A top-level field of the JSON body that changes more often than the key (an uptime): its
   * value now, spliced per request into the body built for the key (and checked against the
   * field's own schema each time).
   */
  readonly splice?: { readonly property: string; value(): unknown };
}
