// The contract between dependency checks, the engine that schedules them and the renderers
// that turn their results into each documented API shape.

/**
 * The status of one run of one source.
 * `failed` means the source cannot be checked as configured (Hasura's FAILED): a bad URL,
 * an unknown kind, a secret that is not set. It is decided before any probe is attempted.
 */
export type CheckStatus = 'ok' | 'degraded' | 'error' | 'timeout' | 'failed';

/** What a check's `run` returns on success. A check throws on failure instead of returning. */
export interface CheckOutcome {
  /** Defaults to `ok`; a check may report `degraded` (e.g. Elasticsearch yellow). */
  readonly status?: 'ok' | 'degraded';
  /** Why the outcome is degraded; never holds a secret. */
  readonly message?: string;
  /** Kind-specific figures (see `details.ts`). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * One dependency probe. Factories (`createRedisCheck(input)`) refuse bad settings by throwing
 * `CheckConfigError`; `run` writes only the success path and throws an Error naming the
 * dependency and the phase ("redis: INFO failed: ...") on failure.
 */
export interface Check {
  readonly kind: SourceKind;
  run(signal: AbortSignal): Promise<CheckOutcome>;
  /** Releases long-lived clients (pools, connections). Safe to call twice. */
  close(): Promise<void>;
  /**
   * Optional. Called by the engine after a run hit its hard deadline: the client may be stuck
   * on a socket that never answers. Drop (destroy) such clients without waiting on the
   * dependency, so the next `run` rebuilds them lazily. A check without `reset` is closed
   * (not awaited) and rebuilt from its factory instead.
   */
  reset?(): Promise<void>;
}

/** Thrown by a check factory when the source cannot be checked as configured. */
export class CheckConfigError extends Error {
  override readonly name = 'CheckConfigError';
}

/**
 * Optional way for `run` to fail while still reporting what it measured (e.g. Elasticsearch
 * red with its shard counts, a missing directory): the result is `error` with these details.
 */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
  readonly details: Readonly<Record<string, unknown>>;
  constructor(message: string, details: Readonly<Record<string, unknown>>) {
    super(message);
    this.details = details;
  }
}

export const SOURCE_KINDS = [
  'postgres',
  'mysql',
  'redis',
  'rabbitmq',
  'elasticsearch',
  'nats',
  'qdrant',
  'http',
  'filesystem',
  'resources',
  'consistency',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** A source as declared in the configuration, defaults merged (durations in milliseconds). */
export interface SourceDefinition {
  readonly name: string;
  /** Declared kind; may be an unknown string, in which case the source is `failed`. */
  readonly kind: string;
  /** A failing critical source makes the system unhealthy; a non-critical one degrades it. */
  readonly critical: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Hasura's semantics: extra attempts after a failed one, `retryIntervalMs` apart. */
  readonly retries: number;
  readonly retryIntervalMs: number;
  readonly tags: readonly string[];
  /** Kind-specific settings, secrets already resolved from env/file by the config loader. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The result of one run of one source, as kept by the engine. */
export interface CheckResult {
  readonly source: string;
  readonly kind: string;
  readonly status: CheckStatus;
  readonly latencyMs: number;
  /** Short message naming dependency and phase; never a password, token or URL credential. */
  readonly error?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** ISO 8601 UTC time at which the run finished. */
  readonly timestamp: string;
}
