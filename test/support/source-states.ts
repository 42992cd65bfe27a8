// Builders of engine snapshots (SourceState) for renderer unit tests: a definition with the
// config loader's defaults and, optionally, a last result.
import { failureText, type CheckResult, type CheckStatus, type Failure, type SourceDefinition } from '../../src/checks/types.ts';
import type { SourceState } from '../../src/engine/types.ts';

export interface SourceStateInput {
  readonly name: string;
  readonly kind?: string;
  readonly critical?: boolean;
  /** Omit for a source that has not finished its first run. */
  readonly status?: CheckStatus;
  readonly error?: string;
  /** What went wrong; defaults to `{ phase: 'run', message: error }` when only `error` is given. */
  readonly failure?: Failure;
  readonly details?: object;
  readonly latencyMs?: number;
  readonly timestamp?: string;
}

export interface CheckResultInput extends Omit<SourceStateInput, 'name' | 'critical' | 'status'> {
  readonly source: string;
  readonly status: CheckStatus;
}

/**
 * A result as the engine records it. The fixture's details are whatever the test gives (they
 * may be off-contract on purpose), hence the one cast. A failing result without `error` or
 * `failure` is left without them, as a renderer's guard against a reason-less result.
 */
export function checkResult(input: CheckResultInput): CheckResult {
  const failing = input.status === 'error' || input.status === 'timeout' || input.status === 'failed';
  const failure = input.failure ?? (failing && input.error !== undefined ? { phase: 'run', message: input.error } : undefined);
  const error = input.error ?? (failure ? failureText(failure) : undefined);
  return {
    source: input.source,
    kind: input.kind ?? 'redis',
    status: input.status,
    latencyMs: input.latencyMs ?? 3,
    timestamp: input.timestamp ?? '2025-01-01T10:00:00.000Z',
    ...(error !== undefined ? { error } : {}),
    ...(failing && failure ? { failure } : {}),
    ...(input.details !== undefined ? { details: input.details } : {}),
  } as CheckResult;
}

export function sourceDefinition(name: string, kind = 'redis', critical = true): SourceDefinition {
  return { name, kind, critical, intervalMs: 10_000, timeoutMs: 2_000, retries: 0, retryIntervalMs: 1_000, tags: [], options: {} };
}

export function sourceState(input: SourceStateInput): SourceState {
  const definition = sourceDefinition(input.name, input.kind, input.critical);
  if (input.status === undefined) return { definition, latest: undefined };
  const { name, critical: _critical, status, ...rest } = input;
  return { definition, latest: checkResult({ ...rest, source: name, kind: definition.kind, status }) };
}

/** Minimal view of the engine for `runUntil` (keeps this file free of the engine's module). */
interface RunsNow {
  runNow(name: string): Promise<CheckResult>;
}

/**
 * Runs `source` now, again and again, until its result satisfies `accept` (a dependency that
 * was just killed or restarted takes a moment to look it), or throws after `timeoutMs`.
 */
export async function runUntil(
  engine: RunsNow,
  source: string,
  accept: (result: CheckResult) => boolean,
  timeoutMs = 20_000,
): Promise<CheckResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await engine.runNow(source);
    if (accept(result)) return result;
    if (Date.now() > deadline) throw new Error(`source "${source}" is still ${result.status} after ${timeoutMs} ms: ${result.error ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Source settings for end-to-end tests that change the world and call `engine.runNow`: after
 * the first run, no background run comes along to change a state mid-test on a loaded machine.
 */
export const ON_DEMAND = { intervalMs: 600_000 } as const;

/** `runUntil` every named source is `ok` (a first run can time out on a busy machine). */
export async function runUntilOk(engine: RunsNow, sources: readonly string[], timeoutMs = 20_000): Promise<void> {
  for (const source of sources) await runUntil(engine, source, (result) => result.status === 'ok', timeoutMs);
}
