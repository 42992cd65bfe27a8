// The steps of one probe: each named phase is bounded by the run's AbortSignal and turns any
// failure into "<kind>: <phase> failed: <reason>" with every secret masked.
import { safeErrorMessage } from '../shared/redact.ts';
import { ProbeError } from './types.ts';

/**
 * Settles like `work`, or rejects as soon as `signal` aborts. A late settlement of `work` is
 * ignored, except that a late value is handed to `onLate` (so a connection that arrives after
 * the deadline is released rather than leaked).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onLate?: (value: T) => void): Promise<T> {
  if (signal.aborted) {
    work.then((value) => onLate?.(value), () => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let abandoned = false;
    const onAbort = (): void => {
      abandoned = true;
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (abandoned) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return new Error(detail ? `aborted (${detail})` : 'aborted');
}

/** Runs `work` as the named phase of a probe; see `phasesOf`. */
export type Phase = <T>(name: string, work: () => Promise<T>, onLate?: (value: T) => void) => Promise<T>;

/**
 * A runner of named phases for one probe of `kind`: each phase stops waiting when `signal`
 * aborts, and its failure becomes a `ProbeError` ("<kind>: <name> failed", the reason as its detail), redacted.
 */
export function phasesOf(kind: string, signal: AbortSignal, secrets: readonly (string | undefined)[]): Phase {
  return async (name, work, onLate) => {
    try {
      return await untilAborted(Promise.resolve().then(work), signal, onLate);
    } catch (error) {
      throw new ProbeError({ phase: name, message: `${kind}: ${name} failed`, detail: safeErrorMessage(error, secrets) });
    }
  };
}

/** Calls `action` once if `signal` aborts before the returned disposer is called. */
export function onAbort(signal: AbortSignal, action: () => void): () => void {
  if (signal.aborted) {
    action();
    return () => undefined;
  }
  signal.addEventListener('abort', action, { once: true });
  return () => signal.removeEventListener('abort', action);
}

/** Milliseconds since `start` (a `performance.now()` reading), to two decimals. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** How much later than the source's timeout a client's own timeouts fire. */
const BACKSTOP_GRACE_MS = 500;

/**
 * The timeout for a client's own timers (connect, statement, command): a little past the
 * source's timeout. The engine's deadline decides and reports `timeout`; these only bound
 * what the deadline cannot reach (a server-side statement, a socket a library keeps), and
 * must not win the race against it and turn a timeout into an error.
 */
export function backstopMs(timeoutMs: number): number {
  return timeoutMs + BACKSTOP_GRACE_MS;
}
