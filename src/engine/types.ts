import type { CheckResult, CheckStatus, SourceDefinition } from '../checks/types.ts';

/** What the engine knows of one source: its definition and last result. */
export interface SourceState {
  readonly definition: SourceDefinition;
  /** Undefined until the first run finishes. */
  readonly latest: CheckResult | undefined;
}

export interface EngineRevision {
  readonly results: number;
  readonly statuses: number;
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
  /**
   * Counters that grow on every recorded result (`results`) and on every change of a source's
   * status (`statuses`, including its first result): answers built from the snapshot are
   * rebuilt only when the counter they depend on moved.
   */
  revision(): EngineRevision;
  /** Resolves once every source has finished at least one run (used at start-up and in tests). */
  ready(): Promise<void>;
  /** Runs one source now, outside its schedule, and resolves with the result (tests, CLI). */
  runNow(name: string): Promise<CheckResult>;
  /** Records a result this process did not probe itself (another replica's, from the store). */
  adopt(name: string, result: CheckResult): void;
  /**
   * Runs a source after `delayMs` (default now) and keeps its rhythm from there: a replica that
   * just took a lease carries on where the previous owner left off.
   */
  probeSoon(name: string, delayMs?: number): void;
}

/**
 * What the engine asks when several replicas share one store (src/coordination/). The engine
 * stays a local scheduler: it only skips runs it is told to skip and hands results over.
 */
export interface ProbeCoordinator {
  /** False while another replica holds the source's lease: this tick's run is skipped. */
  shouldProbe(definition: SourceDefinition): boolean;
  /**
   * Takes a fresh result. True: the coordinator publishes it and will `adopt` it once the
   * store accepted it. False: the source is local to this host; the engine records it itself.
   */
  publish(definition: SourceDefinition, result: CheckResult): boolean;
}

export type { CheckResult, CheckStatus, SourceDefinition };
