// A Check (Vigil's own interface, not a client library) whose runs the test scripts: each run
// calls the next step (the last step repeats), and every call is recorded.
import type { Check, CheckOutcome } from '../../src/checks/types.ts';

/** A scripted run: its details are whatever the test says (not a real kind's). */
export type Step = (signal: AbortSignal) => Promise<CheckOutcome<object>>;

export interface ScriptedCheck extends Check {
  /** Runs started so far. */
  runs(): number;
  /** Most runs ever in flight at once. */
  maxConcurrent(): number;
  /** Signals handed to each run, in order. */
  readonly signals: readonly AbortSignal[];
  /** Start times (performance.now()) of each run. */
  readonly startedAt: readonly number[];
  closed(): number;
  resets(): number;
}

export function scriptedCheck(steps: readonly Step[], options: { readonly withReset?: boolean } = {}): ScriptedCheck {
  let runs = 0;
  let inFlight = 0;
  let maxConcurrent = 0;
  let closed = 0;
  let resets = 0;
  const signals: AbortSignal[] = [];
  const startedAt: number[] = [];
  const check: ScriptedCheck = {
    kind: 'http',
    async run(signal) {
      const step = steps[Math.min(runs, steps.length - 1)];
      runs += 1;
      signals.push(signal);
      startedAt.push(performance.now());
      inFlight += 1;
      maxConcurrent = Math.max(maxConcurrent, inFlight);
      try {
        if (!step) throw new Error('no step scripted');
        return (await step(signal)) as CheckOutcome;
      } finally {
        inFlight -= 1;
      }
    },
    async close() {
      closed += 1;
    },
    runs: () => runs,
    maxConcurrent: () => maxConcurrent,
    signals,
    startedAt,
    closed: () => closed,
    resets: () => resets,
  };
  if (options.withReset) {
    return Object.assign(check, {
      async reset() {
        resets += 1;
      },
    });
  }
  return check;
}

export const ok: Step = async () => ({ details: { figure: 1 } });
export const fail =
  (message: string): Step =>
  async () => {
    throw new Error(message);
  };
/** Never settles, whatever the signal says: a client that ignores aborts. */
export const hang: Step = () => new Promise(() => undefined);
export const slow =
  (ms: number, outcome: CheckOutcome<object> = {}): Step =>
  (signal) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(outcome), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
