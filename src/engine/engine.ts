// The background scheduler: one setTimeout chain per source, so a slow source never delays
// another and runs of one source never overlap. Handlers read the snapshot only.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { createCheck as registryCreateCheck } from '../checks/registry.ts';
import { redactSecrets, safeErrorMessage } from '../shared/redact.ts';
import { runCheck, secretsOf } from '../checks/run-check.ts';
import { CheckConfigError, failureText, type Check, type CheckResult, type SourceDefinition, type SourceKind } from '../checks/types.ts';
import { createCheckHandle, type ManagedCheckHandle } from './check-handle.ts';
import { DEFAULT_MAX_CONCURRENT_PROBES } from '../shared/engine-defaults.ts';
import { createProbeLimiter } from './limiter.ts';
import { FIRST_RUNS_PER_SECOND, firstRunDelayMs } from './phase.ts';
import type { EngineRevision, HealthEngine, ProbeCoordinator, SourceState } from './types.ts';

export interface HealthEngineInput {
  readonly sources: readonly SourceDefinition[];
  /** Sources the configuration loader refused: reported `failed` with `reason`, never run. */
  readonly invalidSources?: readonly { readonly definition: SourceDefinition; readonly reason: string }[];
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly createCheck?: (definition: SourceDefinition) => Check;
  /** Clock for result timestamps (tests move time); latency uses the monotonic clock. */
  readonly now?: () => number;
  /**
   * Called with every result of a run made by this process (not with `failed` results of
   * sources that cannot run, nor with results learnt from elsewhere): the history recorder.
   * Must not throw or block.
   */
  readonly onResult?: (result: CheckResult) => void;
  /**
   * Replicas on one store (src/coordination/): decides whether this process probes a source
   * and takes its results, which come back through `adopt` once the store accepted them.
   */
  readonly coordinator?: ProbeCoordinator;
  /** Probes running at once, at most (`engine.max_concurrent_probes`); more wait their turn. */
  readonly maxConcurrentProbes?: number;
  /** How fast first runs are started (see phase.ts); tests of the spread lower it. */
  readonly firstRunsPerSecond?: number;
}

interface Slot {
  readonly definition: SourceDefinition;
  /** Absent when the source cannot run (invalid, or its factory refused it). */
  readonly handle: ManagedCheckHandle | undefined;
  latest: CheckResult | undefined;
  /** What sources() hands out; replaced (never mutated) on every result. */
  state: SourceState;
  inFlight: Promise<CheckResult> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** secretsOf(definition), collected once. */
  readonly secrets: readonly string[];
  /** The slot's tick, made once (a closure per scheduled run is garbage 2,000 times a second). */
  fire: () => void;
}

export function createHealthEngine(input: HealthEngineInput): HealthEngine {
  const { logger } = input;
  const factory = input.createCheck ?? registryCreateCheck;
  const now = input.now ?? Date.now;
  const stopping = new AbortController();
  // Every run in flight listens for stop(); with many sources that is many listeners, not a leak.
  setMaxListeners(0, stopping.signal);
  const slots = new Map<string, Slot>();
  const limiter = createProbeLimiter(input.maxConcurrentProbes ?? DEFAULT_MAX_CONCURRENT_PROBES);
  // Slots without a result yet: readiness is a counter, not a scan of every slot per result.
  let unchecked = 0;
  let resultRevision = 0;
  let statusRevision = 0;
  let listed: { readonly revision: number; readonly states: readonly SourceState[] } | undefined;
  let revisionSeen: EngineRevision = { results: 0, statuses: 0 };
  let started = false;
  // Readiness is judged only once every slot exists (failed ones are recorded while building).
  let built = false;
  let stopPromise: Promise<void> | undefined;
  let markReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  function failedResult(definition: SourceDefinition, reason: string): CheckResult {
    const failure = { phase: 'configuration', message: redactSecrets(reason, secretsOf(definition)) };
    return {
      source: definition.name,
      kind: definition.kind,
      status: 'failed',
      latencyMs: 0,
      error: failureText(failure),
      failure,
      timestamp: new Date(now()).toISOString(),
    };
  }

  /** What a run that threw past runCheck reports (runCheck does not reject; this guards the loop). */
  function brokenRun(definition: SourceDefinition, kind: SourceKind, error: unknown): CheckResult {
    const failure = { phase: 'run', message: safeErrorMessage(error, secretsOf(definition)) };
    return {
      source: definition.name,
      kind,
      status: 'error',
      latencyMs: 0,
      error: failureText(failure),
      failure,
      timestamp: new Date(now()).toISOString(),
    };
  }

  function record(slot: Slot, result: CheckResult): void {
    const previous = slot.latest;
    if (previous === undefined) unchecked -= 1;
    slot.latest = result;
    slot.state = { definition: slot.definition, latest: result };
    resultRevision += 1;
    // The last listing is stale now; dropping it frees the states (and results) it held, which
    // would otherwise stay alive until the next request asks (megabytes at 20,000 sources).
    listed = undefined;
    if (previous?.status !== result.status) {
      statusRevision += 1;
      const fields = {
        source: result.source,
        kind: result.kind,
        status: result.status,
        previous: previous?.status ?? null,
        latencyMs: result.latencyMs,
        ...(result.error !== undefined ? { reason: result.error } : {}),
      };
      const line = `source "${result.source}" is ${result.status}`;
      if (result.status === 'ok') logger.info(fields, line);
      else if (result.status === 'degraded') logger.warn(fields, line);
      else logger.error(fields, line);
    }
    if (built) checkReady();
  }

  function checkReady(): void {
    if (unchecked === 0) markReady();
  }

  function addSlot(definition: SourceDefinition, handle: ManagedCheckHandle | undefined): Slot | undefined {
    if (slots.has(definition.name)) {
      logger.error({ source: definition.name }, `source "${definition.name}" is declared twice; the second one is ignored`);
      return undefined;
    }
    const slot: Slot = {
      definition,
      handle,
      latest: undefined,
      state: { definition, latest: undefined },
      inFlight: undefined,
      timer: undefined,
      secrets: secretsOf(definition),
      fire: () => tick(slot),
    };
    slots.set(definition.name, slot);
    unchecked += 1;
    return slot;
  }

  for (const definition of input.sources) {
    if (slots.has(definition.name)) {
      addSlot(definition, undefined); // logs the duplicate
      continue;
    }
    let check: Check;
    try {
      check = factory(definition);
    } catch (error) {
      const reason =
        error instanceof CheckConfigError ? error.message : `source "${definition.name}": cannot be set up: ${safeErrorMessage(error)}`;
      const slot = addSlot(definition, undefined);
      if (slot) record(slot, failedResult(definition, reason));
      continue;
    }
    addSlot(definition, createCheckHandle(definition, factory, check));
  }
  for (const { definition, reason } of input.invalidSources ?? []) {
    const slot = addSlot(definition, undefined);
    if (slot) record(slot, failedResult(definition, reason));
  }
  built = true;
  checkReady();

  function run(slot: Slot): Promise<CheckResult> {
    if (slot.inFlight) return slot.inFlight;
    const handle = slot.handle;
    if (!handle) return Promise.resolve(slot.latest as CheckResult);
    const finish = (result: CheckResult): CheckResult => {
      try {
        // A run cut short by stop() says nothing about the dependency.
        if (!stopping.signal.aborted) {
          if (!input.coordinator?.publish(slot.definition, result)) record(slot, result);
          input.onResult?.(result);
        }
      } finally {
        slot.inFlight = undefined;
      }
      return result;
    };
    // One settlement handler rather than a catch/then/finally chain: this runs for every probe.
    const inFlight = limiter
      .run(() =>
        // Stopped while waiting for a turn: nothing to probe.
        stopping.signal.aborted ? Promise.resolve(slot.latest as CheckResult) : runCheck(slot.definition, handle, { signal: stopping.signal, now, secrets: slot.secrets }),
      )
      .then(finish, (error: unknown) => finish(brokenRun(slot.definition, handle.kind, error)));
    slot.inFlight = inFlight;
    return inFlight;
  }

  function schedule(slot: Slot, delayMs: number): void {
    if (stopping.signal.aborted) return;
    slot.timer = setTimeout(slot.fire, delayMs);
    slot.timer.unref();
  }

  function tick(slot: Slot): void {
    const tickStarted = performance.now();
    // Fixed rate: the next run starts one interval after this one started (runCheck keeps a
    // run within its interval, retries included), or at once if the run took longer.
    const next = (): void => schedule(slot, Math.max(0, slot.definition.intervalMs - (performance.now() - tickStarted)));
    // Another replica holds this source's lease: skip the run, keep the rhythm.
    if (input.coordinator?.shouldProbe(slot.definition) ?? true) void run(slot).then(next, next);
    else next();
  }

  function firstRunDelay(slot: Slot, runnable: number): number {
    return firstRunDelayMs(slot.definition.name, slot.definition.intervalMs, runnable, input.firstRunsPerSecond ?? FIRST_RUNS_PER_SECOND);
  }

  return {
    start() {
      if (started || stopping.signal.aborted) return;
      started = true;
      const runnable = [...slots.values()].filter((slot) => slot.handle);
      for (const slot of runnable) schedule(slot, firstRunDelay(slot, runnable.length));
    },

    async stop() {
      stopPromise ??= (async () => {
        stopping.abort();
        markReady();
        const all = [...slots.values()];
        for (const slot of all) clearTimeout(slot.timer);
        // In-flight runs settle at once on abort (runCheck abandons the probe).
        await Promise.all(all.map((slot) => slot.inFlight));
        await Promise.all(all.map((slot) => slot.handle?.close()));
      })();
      return stopPromise;
    },

    sources() {
      // One array per result, shared by every request until the next result.
      if (listed?.revision !== resultRevision) listed = { revision: resultRevision, states: [...slots.values()].map((slot) => slot.state) };
      return listed.states;
    },

    source(name) {
      return slots.get(name)?.state;
    },

    revision() {
      // A new object only when a counter moved: the fast path asks on every request.
      if (revisionSeen.results !== resultRevision || revisionSeen.statuses !== statusRevision) {
        revisionSeen = { results: resultRevision, statuses: statusRevision };
      }
      return revisionSeen;
    },

    ready() {
      return readyPromise;
    },

    adopt(name, result) {
      const slot = slots.get(name);
      if (slot && !stopping.signal.aborted) record(slot, result);
    },

    probeSoon(name, delayMs = 0) {
      const slot = slots.get(name);
      if (!slot?.handle || !started || stopping.signal.aborted || slot.inFlight) return;
      clearTimeout(slot.timer);
      schedule(slot, Math.max(0, delayMs));
    },

    runNow(name) {
      const slot = slots.get(name);
      if (!slot) return Promise.reject(new Error(`unknown source "${name}"`));
      if (stopping.signal.aborted) return Promise.reject(new Error('the health engine is stopped'));
      return run(slot);
    },
  };
}
