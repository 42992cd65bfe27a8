// The one wrapper every probe goes through (Spring's AbstractHealthIndicator.health()):
// it bounds each attempt by a hard deadline, classifies what happened, measures latency,
// redacts secrets and applies Hasura's retries. It never rejects and never waits on a
// dependency past the deadline: a hung check's promise is simply abandoned.
import { getEventListeners } from 'node:events';
import { elapsedMs } from './probe.ts';
import { collectSecrets, redactSecrets, safeErrorMessage } from '../shared/redact.ts';
import {
  CheckConfigError,
  failureText,
  ProbeError,
  type Check,
  type CheckOutcome,
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
  /**
   * secretsOf(definition), when the caller keeps it (the engine, once per source): walking
   * the options on every run was a measurable part of a probe at 2,000 runs a second.
   */
  readonly secrets?: readonly string[];
}

/** How long a `reset()` after a timeout may take before the run moves on without it. */
export const RECOVER_WAIT_MS = 1_000;
/** A retry is not worth making with less time than this left for its attempt. */
const MIN_RETRY_ATTEMPT_MS = 50;

/**
 * What one attempt came to. Every field is always present (undefined when it does not apply),
 * so all attempts share one object shape: spreads of optional fields gave each object its own.
 */
interface Attempt {
  readonly status: CheckStatus;
  readonly latencyMs: number;
  /** Why a successful run is degraded. */
  readonly message: string | undefined;
  /** What went wrong, when the attempt failed. */
  readonly failure: Failure | undefined;
  readonly details: KindDetails | undefined;
}

function attemptOf(status: CheckStatus, latencyMs: number, failure?: Failure, details?: KindDetails, message?: string): Attempt {
  return { status, latencyMs, message, failure, details };
}

/**
 * The secrets of a source: string option values (at any depth) under a key that looks secret,
 * and the password of any URL-valued option.
 */
export function secretsOf(definition: SourceDefinition): readonly string[] {
  return collectSecrets(definition.options);
}

/**
 * `value` with every string inside redacted (details can echo URLs or server messages). What
 * needs no change is returned as it is, so a result with nothing to mask allocates nothing.
 */
function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redactSecrets(value, secrets) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const safe = redactDeep(item, secrets);
      if (safe !== item) (copy ??= [...value])[i] = safe;
    });
    return (copy ?? value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      const child = record[key];
      const safe = redactDeep(child, secrets);
      if (safe !== child) (copy ??= { ...record })[key] = safe;
    }
    return (copy ?? value) as T;
  }
  return value;
}

/**
 * Controllers of attempts that ended with the check's own outcome, nobody listening to their
 * signal any more: the next attempt takes one instead of making a new AbortController (an
 * AbortSignal is an EventTarget, a tenth of what a probe allocated at 2,000 a second). An
 * aborted signal, or one a check still listens to (work of its own still in flight), is never
 * handed out again.
 */
const spareControllers: AbortController[] = [];
const MAX_SPARE_CONTROLLERS = 1_024;

function takeController(): AbortController {
  return spareControllers.pop() ?? new AbortController();
}

function giveBack(controller: AbortController): void {
  if (controller.signal.aborted || spareControllers.length >= MAX_SPARE_CONTROLLERS) return;
  if (getEventListeners(controller.signal, 'abort').length > 0) return;
  spareControllers.push(controller);
}

/**
 * Callbacks waiting for a signal to abort, by signal: one listener on the engine's stop signal
 * however many attempts are in flight, and a Set entry per attempt instead of an EventTarget
 * listener added and removed 2,000 times a second.
 */
const abortWatchers = new WeakMap<AbortSignal, Set<() => void>>();

function watchAbort(signal: AbortSignal, callback: () => void): void {
  let watchers = abortWatchers.get(signal);
  if (!watchers) {
    const created = new Set<() => void>();
    abortWatchers.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        for (const watcher of [...created]) watcher();
        created.clear();
      },
      { once: true },
    );
    watchers = created;
  }
  watchers.add(callback);
}

function unwatchAbort(signal: AbortSignal, callback: () => void): void {
  abortWatchers.get(signal)?.delete(callback);
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
    return attemptOf(error instanceof CheckConfigError ? 'failed' : 'error', 0, failureOf(definition.kind, error, secrets));
  }

  const timeoutMs = Math.max(1, Math.round(deadlineMs));
  const controller = takeController();
  // One promise settled by whichever comes first (the probe, the deadline, the engine
  // stopping), rather than a race of three: this runs 2,000 times a second at scale.
  const attempt = await new Promise<Attempt>((resolve) => {
    let settled = false;
    const settle = (value: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outer) unwatchAbort(outer, onOuterAbort);
      resolve(value);
    };
    const onOuterAbort = (): void => {
      settle(attemptOf('error', elapsedMs(started), { phase: 'run', message: `${definition.kind}: run aborted (engine stopping)` }));
      controller.abort(new Error('engine stopping'));
    };
    const timer = setTimeout(() => {
      // Settle first, then abort: the check's own AbortError must not win.
      settle(attemptOf('timeout', elapsedMs(started), { phase: 'deadline', message: `${definition.kind}: no answer within ${timeoutMs} ms` }));
      controller.abort(new Error(`deadline of ${timeoutMs} ms reached`));
    }, timeoutMs);
    if (outer?.aborted) {
      onOuterAbort();
      return;
    }
    if (outer) watchAbort(outer, onOuterAbort);
    let running: Promise<CheckOutcome>;
    try {
      running = Promise.resolve(check.run(controller.signal));
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (outcome) => {
        settle(attemptOf(outcome.status ?? 'ok', elapsedMs(started), undefined, outcome.details, outcome.message));
        giveBack(controller);
      },
      (error: unknown) => {
        settle(
          attemptOf(
            error instanceof CheckConfigError ? 'failed' : 'error',
            elapsedMs(started),
            failureOf(definition.kind, error, secrets),
            error instanceof ProbeError ? error.details : undefined,
          ),
        );
        giveBack(controller);
      },
    );
  });

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
  const secrets = options.secrets ?? secretsOf(definition);
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
  // Built property by property in one order, so every result of a kind shares one shape (a
  // spread of a spread made a new hidden class for each of 2,000 results a second).
  const result: { -readonly [K in keyof CheckResult]?: unknown } = { source: definition.name, kind, latencyMs: last.latencyMs };
  if (last.details !== undefined) result.details = redactDeep(last.details, secrets);
  result.timestamp = new Date(now()).toISOString();
  result.status = last.status;
  if (last.status === 'ok' || last.status === 'degraded') {
    // The one place a result meets its kind: the check of kind K reported DetailsByKind[K].
    if (last.message !== undefined) result.error = redactSecrets(last.message, secrets);
    return result as CheckResult;
  }
  const failed = last.failure ?? { phase: 'run', message: `${definition.kind}: the run failed without a reason` };
  const failure = redactFailure(attempts > 1 ? afterAttempts(failed, attempts) : failed, secrets);
  result.error = failureText(failure);
  result.failure = failure;
  return result as CheckResult;
}
