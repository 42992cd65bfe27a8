import type { CheckResult, CheckStatus, SourceDefinition } from '../checks/types.ts';

/** What the engine knows of one source: its definition, last result and a short history. */
export interface SourceState {
  readonly definition: SourceDefinition;
  /** Undefined until the first run finishes. */
  readonly latest: CheckResult | undefined;
  /** Most recent last, bounded in length. */
  readonly history: readonly CheckResult[];
}

/** Overall status across sources, Spring-style: the order is the severity. */
export type AggregateStatus = 'ok' | 'degraded' | 'unhealthy';

/**
 * Runs every source on its own interval in the background. Handlers only read its snapshot:
 * no request ever waits on a dependency.
 */
export interface HealthEngine {
  start(): void;
  /** Stops scheduling, aborts runs in flight and closes every check's clients. */
  stop(): Promise<void>;
  /** Every configured source (including `failed` ones), in configuration order. */
  sources(): readonly SourceState[];
  source(name: string): SourceState | undefined;
  /** Resolves once every source has finished at least one run (used at start-up and in tests). */
  ready(): Promise<void>;
  /** Runs one source now, outside its schedule, and resolves with the result (tests, CLI). */
  runNow(name: string): Promise<CheckResult>;
}

export type { CheckResult, CheckStatus, SourceDefinition };
