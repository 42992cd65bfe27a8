// Alerts for the engine's results: each source's state advances by its rule's thresholds;
// a change is announced through the store's outbox (once, whichever replica or restart sees
// it), and a delivery loop sends the outbox with retries and back-off. Nothing here runs on
// the probing path: results are queued and handled one source at a time.
import type { Logger } from 'pino';
import type { CheckResult } from '../checks/types.ts';
import { safeErrorMessage } from '../shared/redact.ts';
import type { Store } from '../store/types.ts';
import { inMaintenance } from './maintenance.ts';
import { createNotifier } from './notifiers/index.ts';
import { announce, claimDue, markDelivered, markFailed, readState, type PersistedState } from './outbox.ts';
import { advance, INITIAL_STATE, type AlertState } from './thresholds.ts';
import type { AlertRule, AlertsConfig, Notifier } from './types.ts';

export interface AlertService {
  /** For the engine: every result this process produced. Never waits, never throws. */
  onResult(result: CheckResult): void;
  /** Waits until every queued result has been handled (tests). */
  settle(): Promise<void>;
  /** Runs one delivery round now (tests; the loop runs every `deliveryIntervalMs`). */
  deliverNow(): Promise<void>;
  close(): Promise<void>;
}

export interface AlertServiceInput {
  readonly store: Store;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly config: AlertsConfig;
  /** Default 1 s. */
  readonly deliveryIntervalMs?: number;
  /** Instead of the configured notifiers (tests). */
  readonly notifiers?: readonly Notifier[];
}

interface SourceSlot {
  state: AlertState;
  loaded: boolean;
  readonly queue: CheckResult[];
  running: Promise<void> | undefined;
}

/** Results queued per source while the store is slow; older ones are dropped first. */
const MAX_QUEUED = 100;
const CLAIM_BATCH = 20;

function adopt(stored: PersistedState): AlertState {
  return stored.down && stored.notified
    ? { down: true, notified: true, incidentStartedAt: stored.incidentStartedAt, failures: 0, successes: 0 }
    : INITIAL_STATE;
}

/**
 * The rule of a source: the first rule that names it, else the first with `*`. A lookup made
 * once: searching every rule's list on each result was work in the number of listed sources,
 * for each of thousands of results a second.
 */
export function ruleLookup(rules: readonly AlertRule[]): (source: string) => AlertRule | undefined {
  const named = new Map<string, AlertRule>();
  for (const rule of rules) for (const source of rule.sources) if (source !== '*' && !named.has(source)) named.set(source, rule);
  const wildcard = rules.find((rule) => rule.sources.includes('*'));
  return (source) => named.get(source) ?? wildcard;
}

export function createAlertService(input: AlertServiceInput): AlertService {
  const { store, logger, config } = input;
  const notifiers = new Map((input.notifiers ?? config.notifiers.map(createNotifier)).map((n) => [n.name, n]));
  const slots = new Map<string, SourceSlot>();
  const secrets = config.notifiers.flatMap((n) =>
    n.kind === 'webhook' ? [n.url, ...(n.secret ? [n.secret] : [])] : n.kind === 'slack' ? [n.url] : n.kind === 'pagerduty' ? [n.routingKey] : n.password ? [n.password] : [],
  );
  let delivering: Promise<void> | undefined;
  let closed = false;
  const ruleOf = ruleLookup(config.rules);

  async function handle(slot: SourceSlot, result: CheckResult, rule: AlertRule): Promise<void> {
    if (!slot.loaded) {
      slot.state = adopt(await readState(store, result.source));
      slot.loaded = true;
    }
    const at = Date.parse(result.timestamp);
    const step = advance(slot.state, result.status, at, rule, inMaintenance(config.maintenance, result.source, at));
    if (!step.emit) {
      slot.state = step.state;
      return;
    }
    const incidentStartedAt = step.state.incidentStartedAt ?? slot.state.incidentStartedAt ?? at;
    const outcome = await announce(store, {
      source: result.source,
      event: step.emit,
      expected: { down: slot.state.down, notified: slot.state.notified },
      at,
      incidentStartedAt,
      notifiers: rule.notify,
      body: {
        source: result.source,
        kind: result.kind,
        status: result.status,
        reason: step.emit === 'triggered' ? result.error : undefined,
        startedAt: new Date(incidentStartedAt).toISOString(),
        ...(step.emit === 'resolved' ? { resolvedAt: result.timestamp } : {}),
      },
    });
    if (outcome.written) {
      slot.state = step.state;
      logger.info({ source: result.source, event: step.emit, notifiers: rule.notify }, `alert: ${result.source} ${step.emit}; queued for ${rule.notify.join(', ')}`);
      void deliver();
    } else {
      // Announced already (another replica, or before a restart): take the stored state.
      slot.state = adopt(outcome.state);
    }
  }

  function drain(source: string, slot: SourceSlot, rule: AlertRule): void {
    if (slot.running || closed) return;
    slot.running = (async () => {
      while (slot.queue.length > 0 && !closed) {
        const result = slot.queue[0] as CheckResult;
        try {
          await handle(slot, result, rule);
          slot.queue.shift();
        } catch (error) {
          // The store is unavailable: keep the result (and the state) for the next try.
          logger.warn({ source, error: safeErrorMessage(error, secrets) }, 'alert: cannot reach the store; will try again');
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
        }
      }
    })().finally(() => {
      slot.running = undefined;
    });
  }

  async function deliverOnce(): Promise<void> {
    const leaseMs = config.delivery.timeoutMs * 2 + 5_000;
    const claimed = await claimDue(store, CLAIM_BATCH, leaseMs);
    for (const row of claimed) {
      const notifier = notifiers.get(row.notifier);
      const labels = { notifier: row.notifier, source: row.event.source, event: row.event.event, attempt: row.attempts, delivery: row.event.id };
      if (!notifier) {
        await markFailed(store, row.id, `notifier "${row.notifier}" is no longer configured`, undefined);
        logger.error(labels, `alert: notifier "${row.notifier}" is no longer configured; the delivery is dropped`);
        continue;
      }
      try {
        await notifier.send(row.event, AbortSignal.timeout(config.delivery.timeoutMs));
        await markDelivered(store, row.id);
        logger.info(labels, `alert: delivered ${row.event.event} of ${row.event.source} to ${row.notifier}`);
      } catch (error) {
        const message = safeErrorMessage(error, secrets);
        const exhausted = row.attempts >= config.delivery.maxAttempts;
        const retryIn = exhausted ? undefined : Math.min(config.delivery.initialBackoffMs * 2 ** (row.attempts - 1), config.delivery.maxBackoffMs);
        await markFailed(store, row.id, message, retryIn);
        if (exhausted) logger.error({ ...labels, error: message }, `alert: giving up on ${row.notifier} after ${row.attempts} attempts`);
        else logger.warn({ ...labels, error: message, retryInMs: retryIn }, `alert: delivery to ${row.notifier} failed; retrying`);
      }
    }
  }

  function deliver(): Promise<void> {
    if (closed) return Promise.resolve();
    delivering ??= deliverOnce()
      .catch((error: unknown) => logger.warn({ error: safeErrorMessage(error, secrets) }, 'alert: delivery round failed; will try again'))
      .finally(() => {
        delivering = undefined;
      });
    return delivering;
  }

  const loop = setInterval(() => void deliver(), input.deliveryIntervalMs ?? 1_000);
  loop.unref();

  return {
    onResult(result) {
      if (closed) return;
      const rule = ruleOf(result.source);
      if (!rule) return;
      let slot = slots.get(result.source);
      if (!slot) {
        slot = { state: INITIAL_STATE, loaded: false, queue: [], running: undefined };
        slots.set(result.source, slot);
      }
      slot.queue.push(result);
      if (slot.queue.length > MAX_QUEUED) slot.queue.splice(0, slot.queue.length - MAX_QUEUED);
      drain(result.source, slot, rule);
    },
    async settle() {
      for (;;) {
        const running = [...slots.values()].map((s) => s.running).filter(Boolean);
        if (running.length === 0) return;
        await Promise.all(running);
      }
    },
    deliverNow: () => deliver(),
    async close() {
      closed = true;
      clearInterval(loop);
      await Promise.all([...slots.values()].map((s) => s.running));
      await delivering;
      await Promise.all([...notifiers.values()].map((n) => n.close?.()));
    },
  };
}
