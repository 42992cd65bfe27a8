// The one wrapper every probe goes through (Spring's AbstractHealthIndicator.health()):
// it bounds each attempt by a hard deadline, classifies what happened, measures latency,
// redacts secrets and applies Hasura's retries. It never rejects and never waits on a
// dependency past the deadline: a hung check's promise is simply abandoned.
import { elapsedMs } from './probe.ts';
import { collectSecrets, redactSecrets, safeErrorMessage } from '../shared/redact.ts';
import {
  CheckConfigError,
  failureText,
  ProbeError,
  type Check,
  type CheckResult,
  type CheckStatus,
  type Failure,
  type KindDetails,
  type KindResult,
  type SourceDefinition,
  type SourceKind,
} from './types.ts';

/**
 * Where `runCheck` gets its check from. `current()` may build the check lazily (and throw a
 * CheckConfigError doing so); `recover()` is called after an attempt hit its deadline.
 */
export interface CheckHandle {
  current(): Check;
  recover(): Promise<void>;
}

export interface RunCheckOptions {
  /** Aborts the run (engine stopping): the attempt in flight is abandoned at once. */
  readonly signal?: AbortSignal;
  /** Clock for the result's timestamp; latency always uses the monotonic clock. */
  readonly now?: () => number;
}

/** How long a `reset()` after a timeout may take before the run moves on without it. */
export const RECOVER_WAIT_MS = 1_000;
/** A retry is not worth making with less time than this left for its attempt. */
const MIN_RETRY_ATTEMPT_MS = 50;

interface Attempt {
  readonly status: CheckStatus;
  readonly latencyMs: number;
  /** Why a successful run is degraded. */
  readonly message?: string;
  /** What went wrong, when the attempt failed. */
  readonly failure?: Failure;
  readonly details?: KindDetails;
}

/**
 * The secrets of a source: string option values (at any depth) under a key that looks secret,
 * and the password of any URL-valued option.
 */
export function secretsOf(definition: SourceDefinition): readonly string[] {
  return collectSecrets(definition.options);
}

/** `value` with every string inside redacted (details can echo URLs or server messages). */
function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redactSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, redactDeep(child, secrets)])) as T;
  }
  return value;
}

function fixedHandle(check: Check): CheckHandle {
  return { current: () => check, recover: async () => check.reset?.() };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What a thrown error says went wrong, redacted and naming the dependency ("redis: ..."). */
function failureOf(kind: string, error: unknown, secrets: readonly string[]): Failure {
  if (error instanceof ProbeError) {
    const { phase, message, detail } = error.failure;
    return {
      phase,
      message: safeErrorMessage(message, secrets),
      ...(detail !== undefined ? { detail: safeErrorMessage(detail, secrets) } : {}),
    };
  }
  const message = safeErrorMessage(error, secrets);
  // A configuration error already names the source and the key to fix.
  if (error instanceof CheckConfigError) return { phase: 'configuration', message };
  return { phase: 'run', message: message.startsWith(`${kind}:`) ? message : `${kind}: ${message}` };
}

/** `failure` with the number of attempts said, on its most specific part. */
function afterAttempts(failure: Failure, attempts: number): Failure {
  const suffix = ` (after ${attempts} attempts)`;
  return failure.detail === undefined
    ? { ...failure, message: `${failure.message}${suffix}` }
    : { ...failure, detail: `${failure.detail}${suffix}` };
}

function redactFailure(failure: Failure, secrets: readonly string[]): Failure {
  return {
    phase: failure.phase,
    message: redactSecrets(failure.message, secrets),
    ...(failure.detail !== undefined ? { detail: redactSecrets(failure.detail, secrets) } : {}),
  };
}

async function attemptOnce(
  definition: SourceDefinition,
  handle: CheckHandle,
  deadlineMs: number,
  outer: AbortSignal | undefined,
  secrets: readonly string[],
): Promise<Attempt> {
  const started = performance.now();
  let check: Check;
  try {
    check = handle.current();
  } catch (error) {
    const status = error instanceof CheckConfigError ? 'failed' : 'error';
    return { status, latencyMs: 0, failure: failureOf(definition.kind, error, secrets) };
  }

  const timeoutMs = Math.max(1, Math.round(deadlineMs));
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;

  const deadline = new Promise<Attempt>((resolve) => {
    timer = setTimeout(() => {
      // Settle first, then abort: the check's own AbortError must not win the race.
      resolve({
        status: 'timeout',
        latencyMs: elapsedMs(started),
        failure: { phase: 'deadline', message: `${definition.kind}: no answer within ${timeoutMs} ms` },
      });
      controller.abort(new Error(`deadline of ${timeoutMs} ms reached`));
    }, timeoutMs);
  });
  const stopped = new Promise<Attempt>((resolve) => {
    onOuterAbort = () => {
      resolve({
        status: 'error',
        latencyMs: elapsedMs(started),
        failure: { phase: 'run', message: `${definition.kind}: run aborted (engine stopping)` },
      });
      controller.abort(new Error('engine stopping'));
    };
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
  });
  const probe = Promise.resolve()
    .then(() => check.run(controller.signal))
    .then(
      (outcome): Attempt => ({
        status: outcome.status ?? 'ok',
        latencyMs: elapsedMs(started),
        ...(outcome.message !== undefined ? { message: outcome.message } : {}),
        ...(outcome.details !== undefined ? { details: outcome.details } : {}),
      }),
      (error: unknown): Attempt => ({
        status: error instanceof CheckConfigError ? 'failed' : 'error',
        latencyMs: elapsedMs(started),
        failure: failureOf(definition.kind, error, secrets),
        ...(error instanceof ProbeError && error.details !== undefined ? { details: error.details } : {}),
      }),
    );

  const attempt = await Promise.race([probe, deadline, stopped]);
  clearTimeout(timer);
  if (onOuterAbort) outer?.removeEventListener('abort', onOuterAbort);

  if (attempt.status === 'timeout') {
    // The client may be stuck on a socket that never answers; have it rebuilt, but do not
    // let a reset that itself hangs hold the run.
    await Promise.race([handle.recover().catch(() => undefined), sleep(RECOVER_WAIT_MS, outer)]);
  }
  return attempt;
}

/**
 * The longest one run of `definition` takes, retries included (see runCheck): attempts and
 * retry waits stay within max(interval, timeout), and Hasura's own schedule,
 * (retries + 1) x timeout + retries x retry_interval, when that is shorter. A timed-out
 * attempt may add up to RECOVER_WAIT_MS while its client is reset (the one after the last
 * attempt is outside the budget); Vigil's own checks reset at once.
 */
export function runBoundMs(definition: SourceDefinition): number {
  const retries = Math.max(0, Math.floor(definition.retries));
  const budget = Math.max(definition.intervalMs, definition.timeoutMs);
  const hasura = (retries + 1) * (definition.timeoutMs + RECOVER_WAIT_MS) + retries * definition.retryIntervalMs;
  return Math.min(budget + RECOVER_WAIT_MS, hasura);
}

/**
 * Runs one source once, with Hasura's retries: a failed attempt (`error` or `timeout`) is
 * retried up to `retries` times, `retryIntervalMs` apart, and the run reports the last attempt.
 * `ok`, `degraded` and `failed` (configuration) are final at once.
 *
 * A run never outlasts its interval (so it never delays the next scheduled run), bounded by
 * max(intervalMs, timeoutMs) so the first attempt always gets its whole timeout (plus at most
 * RECOVER_WAIT_MS for a reset after a last attempt that timed out: see runBoundMs). Retries are
 * fitted into what is left: each waits min(retryIntervalMs, half the time left) and its attempt
 * gets min(timeoutMs, the time left); with less than MIN_RETRY_ATTEMPT_MS left there is no
 * further retry. With room to spare (interval >= attempts x (timeout + retry_interval)) this is
 * exactly Hasura's behaviour; when the settings do not fit (Vigil's defaults: interval = timeout
 * = retry_interval = 10 s) quick failures are still retried, compressed into the interval,
 * while a dependency that hangs uses the whole budget on its first attempt.
 */
export async function runCheck<K extends SourceKind>(
  definition: SourceDefinition,
  target: Check<K>,
  options?: RunCheckOptions,
): Promise<KindResult<K>>;
export async function runCheck(definition: SourceDefinition, target: Check | CheckHandle, options?: RunCheckOptions): Promise<CheckResult>;
export async function runCheck(
  definition: SourceDefinition,
  target: Check | CheckHandle,
  options: RunCheckOptions = {},
): Promise<CheckResult> {
  const handle = 'current' in target ? target : fixedHandle(target);
  // The kind the result is typed by: the check's own, or the declared one when there is no check.
  const kind = 'current' in target ? definition.kind : target.kind;
  const secrets = secretsOf(definition);
  const runEnds = performance.now() + Math.max(definition.intervalMs, definition.timeoutMs);
  const maxAttempts = 1 + Math.max(0, Math.floor(definition.retries));
  let attempts = 1;
  let last = await attemptOnce(definition, handle, definition.timeoutMs, options.signal, secrets);
  while ((last.status === 'error' || last.status === 'timeout') && attempts < maxAttempts && !options.signal?.aborted) {
    const wait = Math.min(definition.retryIntervalMs, (runEnds - performance.now()) / 2);
    if (runEnds - performance.now() - wait < MIN_RETRY_ATTEMPT_MS) break;
    await sleep(Math.max(0, wait), options.signal);
    const left = runEnds - performance.now();
    if (options.signal?.aborted || left < MIN_RETRY_ATTEMPT_MS) break;
    attempts += 1;
    last = await attemptOnce(definition, handle, Math.min(definition.timeoutMs, left), options.signal, secrets);
  }

  const now = options.now ?? Date.now;
  const common = {
    source: definition.name,
    kind,
    latencyMs: last.latencyMs,
    ...(last.details !== undefined ? { details: redactDeep(last.details, secrets) } : {}),
    timestamp: new Date(now()).toISOString(),
  };
  if (last.status === 'ok' || last.status === 'degraded') {
    const message = last.message === undefined ? undefined : redactSecrets(last.message, secrets);
    // The one place a result meets its kind: the check of kind K reported DetailsByKind[K].
    return { ...common, status: last.status, ...(message !== undefined ? { error: message } : {}) } as CheckResult;
  }
  const failed = last.failure ?? { phase: 'run', message: `${definition.kind}: the run failed without a reason` };
  const failure = redactFailure(attempts > 1 ? afterAttempts(failed, attempts) : failed, secrets);
  return { ...common, status: last.status, error: failureText(failure), failure } as CheckResult;
}
