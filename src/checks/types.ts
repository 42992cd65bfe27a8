// The contract between dependency checks, the engine that schedules them and the renderers
// that turn their results into each documented API shape.
import type { DetailsByKind } from './details.ts';

/**
 * The status of one run of one source.
 * `failed` means the source cannot be checked as configured (Hasura's FAILED): a bad URL,
 * an unknown kind, a secret that is not set. It is decided before any probe is attempted.
 */
export type CheckStatus = 'ok' | 'degraded' | 'error' | 'timeout' | 'failed';

/** `error`, `timeout` or `failed`: the run did not get the answer it needs. */
export type FailingStatus = Exclude<CheckStatus, 'ok' | 'degraded'>;

/** The details any kind reports (see `details.ts`). */
export type KindDetails = DetailsByKind[SourceKind];

/** What a check's `run` returns on success. A check throws on failure instead of returning. */
export interface CheckOutcome<Details = KindDetails> {
  /** Defaults to `ok`; a check may report `degraded` (e.g. Elasticsearch yellow). */
  readonly status?: 'ok' | 'degraded';
  /** Why the outcome is degraded; never holds a secret. */
  readonly message?: string;
  /** Kind-specific figures (see `details.ts`). */
  readonly details?: Details;
}

/**
 * One dependency probe. Factories (`createRedisCheck(input)`) refuse bad settings by throwing
 * `CheckConfigError`; `run` writes only the success path and throws a `ProbeError` naming the
 * dependency and the phase ("redis: INFO failed: ...") on failure.
 */
export interface Check<K extends SourceKind = SourceKind> {
  readonly kind: K;
  run(signal: AbortSignal): Promise<CheckOutcome<DetailsByKind[K]>>;
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
 * What went wrong in a run, as data: renderers read these fields, never a message's text.
 * Every string is redacted by `runCheck`.
 */
export interface Failure {
  /** The step that failed: a probe phase ("connect", "query"), or `deadline`, `configuration`, `run`. */
  readonly phase: string;
  /** One short line naming the dependency and the step ("redis: connect failed"). */
  readonly message: string;
  /** The underlying cause ("connect ECONNREFUSED 127.0.0.1:6390"); absent when `message` says all. */
  readonly detail?: string;
}

/** `failure` as one line, for logs and the families that show a single message. */
export function failureText(failure: Failure): string {
  return failure.detail === undefined ? failure.message : `${failure.message}: ${failure.detail}`;
}

/**
 * How `run` fails with a phase: the message reads "<message>: <detail>" for logs, while the
 * fields travel with the result. `details` keeps what the run measured before failing
 * (Elasticsearch red with its shard counts, a missing directory).
 */
export class ProbeError extends Error {
  override readonly name: string = 'ProbeError';
  readonly failure: Failure;
  readonly details: KindDetails | undefined;
  constructor(failure: Failure, details?: KindDetails) {
    super(failureText(failure));
    this.failure = failure;
    this.details = details;
  }
}

/**
 * A run that got its answer and found it wrong (an unexpected status code, a red cluster): the
 * result is `error`, with what was measured. The message names the dependency already.
 */
export class CheckFailure extends ProbeError {
  override readonly name = 'CheckFailure';
  constructor(message: string, details: KindDetails, phase = 'verify') {
    super({ phase, message }, details);
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

interface ResultCommon {
  readonly source: string;
  readonly latencyMs: number;
  /** ISO 8601 UTC time at which the run finished. */
  readonly timestamp: string;
}

/** A run that got its answer: `ok`, or `degraded` with `error` saying why. */
export interface AnsweredResult<K extends string, Details> extends ResultCommon {
  readonly kind: K;
  readonly status: 'ok' | 'degraded';
  /** Why the source is degraded (one line naming the dependency); never a secret. */
  readonly error?: string;
  readonly failure?: undefined;
  readonly details?: Details;
}

/** A run that failed: what went wrong as data (`failure`) and as one line (`error`). */
export interface FailedResult<K extends string, Details> extends ResultCommon {
  readonly kind: K;
  readonly status: FailingStatus;
  /** `failureText(failure)`: one line for logs and single-message families; never a secret. */
  readonly error: string;
  readonly failure: Failure;
  /** What the run measured before it failed, when the check reports it. */
  readonly details?: Details;
}

/** The result of one run of a source of kind `K`, with that kind's details. */
export type KindResult<K extends SourceKind> = K extends SourceKind
  ? AnsweredResult<K, DetailsByKind[K]> | FailedResult<K, DetailsByKind[K]>
  : never;

/** A source of a kind Vigil does not know: it cannot be checked, so it only ever fails. */
export type UnknownKindResult = FailedResult<string, never> & { readonly status: 'failed' };

/** The result of one run of one source, as kept by the engine: a union on `kind`. */
export type CheckResult = KindResult<SourceKind> | UnknownKindResult;

/** Whether `result` comes from a source of kind `kind` (its details are that kind's). */
export function isKind<K extends SourceKind>(result: CheckResult, kind: K): result is KindResult<K> {
  return result.kind === kind;
}

/** The details of the last run when its source is of one of `kinds`. */
export function detailsOf<K extends SourceKind>(result: CheckResult | undefined, ...kinds: readonly K[]): KindResult<K>['details'] {
  if (result === undefined) return undefined;
  for (const kind of kinds) if (isKind(result, kind)) return result.details;
  return undefined;
}
