// How long a dependency can be failing before the engine's snapshot says so: the documented
// worst case (README "Detection time", docs/ARCHITECTURE.md), computed from a source's settings.
import { runBoundMs } from '../checks/run-check.ts';
import type { SourceDefinition } from '../checks/types.ts';

/**
 * Worst-case time from a dependency starting to fail to the snapshot showing it, excluding
 * event-loop delay. A failure that begins just after a probe saw the dependency healthy waits
 * for the next run, which starts at most max(interval, timeout) after that probe started (runs
 * are fixed-rate and never overlap; a healthy attempt ends within its timeout). That run then
 * reports only once its retries are spent: at most runBoundMs. So
 *
 *   detection <= max(interval, timeout) + min(max(interval, timeout) + 1 s,
 *                                             (retries + 1) x (timeout + 1 s) + retries x retry_interval)
 *
 * where each 1 s is the most a client reset after a timed-out attempt may hold the run.
 */
export function detectionBoundMs(definition: SourceDefinition): number {
  return Math.max(definition.intervalMs, definition.timeoutMs) + runBoundMs(definition);
}
