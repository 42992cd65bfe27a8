// Replicas on one PostgreSQL store share one probe schedule and one view. Each shared source
// is leased by one replica at a time (a row in vigil_source_leases with a TTL, renewed every
// third of it, taken with FOR UPDATE SKIP LOCKED); leases spread evenly over the replicas
// alive. The owner publishes each result under its lease epoch (fenced: see lease-sql.ts);
// PostgreSQL NOTIFYs every replica, which adopts a result only if it is newer than the one
// it shows. The engine keeps scheduling locally and asks `shouldProbe` before each run.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import type { CheckResult, SourceDefinition } from '../checks/types.ts';
import type { HealthEngine, ProbeCoordinator, SourceState } from '../engine/types.ts';
import { storeError } from '../store/postgres.ts';
import {
  acquireLeases,
  ensureLeaseRows,
  forgetDeadReplicas,
  heartbeat,
  isNewer,
  LEASES_CHANNEL,
  leaseOwners,
  leaveReplicas,
  loadResults,
  nextForeignExpiryMs,
  publishResult,
  releaseLeases,
  renewLeases,
  RESULTS_CHANNEL,
  sharedResultOf,
  type Query,
  type SharedResult,
} from './lease-sql.ts';
import { startListener, type Listener } from './listener.ts';
import { resultAgeMs, staleAfterMs, withStaleness } from './staleness.ts';
import type { CoordinationStatus, LeaseChangeCounts } from './types.ts';

/** Kinds that describe the host they run on: every replica probes and reports its own. */
export const LOCAL_KINDS: ReadonlySet<string> = new Set(['resources', 'filesystem']);

export interface CoordinatorInput {
  /** The store's PostgreSQL URL (coordination has its own small pool and a LISTEN connection). */
  readonly url: string;
  readonly sources: readonly SourceDefinition[];
  readonly leaseTtlMs: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Defaults to `<host>:<pid>:<random>`; unique per process start. */
  readonly replicaId?: string;
  readonly now?: () => number;
  /**
   * Each result of this replica's that the store accepted, once: what history and alerts take.
   * A result refused by the fence (its lease moved while it ran) never reaches it.
   */
  readonly onPublished?: (result: CheckResult) => void;
}

export interface Coordinator extends ProbeCoordinator, CoordinationStatus {
  /**
   * Joins the replicas: creates the lease rows, loads every stored result into `engine`, takes
   * this replica's share of leases and starts renewing them. Call before `engine.start()`.
   */
  start(engine: HealthEngine): Promise<void>;
  /** `engine`'s snapshot with stale shared results reported as stale (see staleness.ts). */
  view(engine: HealthEngine): HealthEngine;
  /** Releases every lease (other replicas take them at once) and leaves. */
  stop(): Promise<void>;
}

interface Owned {
  readonly epoch: bigint;
  /** performance.now() after which this replica no longer trusts its lease. */
  readonly validUntil: number;
}

/** Reloads every stored result every this many cycles, in case a notification was missed. */
const RELOAD_EVERY_CYCLES = 10;

export function defaultReplicaId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function createCoordinator(input: CoordinatorInput): Coordinator {
  const { logger, leaseTtlMs } = input;
  const replicaId = input.replicaId ?? defaultReplicaId();
  const now = input.now ?? Date.now;
  const cycleMs = Math.max(100, Math.floor(leaseTtlMs / 3));
  // Bounded, but not tight: a starved event loop can see a timer fire before an answer that
  // already arrived. Safety does not depend on it: a lease is trusted only until TTL after the
  // renewal started, and the store lets others take it once it expires.
  const queryTimeoutMs = Math.max(1_000, Math.min(5_000, leaseTtlMs));
  const shared = input.sources.filter((s) => !LOCAL_KINDS.has(s.kind));
  const sharedNames = [...new Set(shared.map((s) => s.name))];
  const definitions = new Map(shared.map((s) => [s.name, s]));

  const pool = new pg.Pool({
    connectionString: input.url,
    max: 3,
    connectionTimeoutMillis: queryTimeoutMs,
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'vigil-coordination',
  });
  pool.on('error', () => undefined); // an idle connection lost; the next query reports it
  // A late answer to a timed-out query makes pg emit 'error' on a client that may have no
  // listener left (see store/postgres.ts): keep one on every client.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const query: Query = async <Row extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
    try {
      return (await pool.query(sql, params as unknown[])).rows as Row[];
    } catch (error) {
      throw storeError('coordination query failed', error, input.url);
    }
  };

  const owned = new Map<string, Owned>();
  /** Held sources whose tick came after the lease's local validity ran out, before renewal. */
  const skippedWhileHeld = new Set<string>();
  const known = new Map<string, Pick<SharedResult, 'epoch' | 'seq'>>();
  let owners: ReadonlyMap<string, string> = new Map();
  const changes = { acquired: 0, released: 0, lost: 0 };
  let engine: HealthEngine | undefined;
  let listener: Listener | undefined;
  let cycleTimer: NodeJS.Timeout | undefined;
  let cycling: Promise<void> | undefined;
  let cycleAgain = false;
  let cycles = 0;
  /** When the next cycle is due (ms from the end of this one): earlier when a lease lapses sooner. */
  let nextCycleMs = cycleMs;
  let stopped = false;
  let lastCycleOk = false;
  let storeProblem: string | undefined = undefined;

  const reachable = (): boolean => lastCycleOk && (listener?.connected() ?? false);

  function reportStore(problem: string | undefined): void {
    if (problem !== undefined && storeProblem === undefined) {
      logger.error(
        { replica: replicaId, reason: problem },
        'store unreachable: this replica serves its last snapshot (marked stale as it ages) and stops probing shared sources once its leases lapse',
      );
    } else if (problem === undefined && storeProblem !== undefined) {
      logger.info({ replica: replicaId }, 'store reachable again: this replica coordinates with the others');
    }
    storeProblem = problem;
  }

  /** Shows `shared` on this replica if it is newer than what it shows now. */
  function adopt(sharedResult: SharedResult): void {
    if (!definitions.has(sharedResult.source) || !isNewer(sharedResult, known.get(sharedResult.source))) return;
    known.set(sharedResult.source, { epoch: sharedResult.epoch, seq: sharedResult.seq });
    engine?.adopt(sharedResult.source, sharedResult.result);
  }

  async function reload(sources?: readonly string[]): Promise<void> {
    for (const row of await loadResults(query, sources ?? sharedNames)) adopt(row);
  }

  function onNotification(channel: string, payload: string): void {
    if (channel === LEASES_CHANNEL) {
      if (payload !== replicaId) requestCycle();
      return;
    }
    if (channel !== RESULTS_CHANNEL) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const row = parsed as { source?: unknown };
    const full = sharedResultOf(row as Parameters<typeof sharedResultOf>[0]);
    if (full) adopt(full);
    else if (typeof row.source === 'string') void reload([row.source]).catch(() => undefined);
  }

  /** A newly taken source is probed when the last result on show falls due (now, if none). */
  function probeWhenDue(source: string): void {
    const definition = definitions.get(source);
    const latest = engine?.source(source)?.latest;
    if (!definition || !engine) return;
    const due = latest ? Date.parse(latest.timestamp) + definition.intervalMs - now() : 0;
    engine.probeSoon(source, Number.isFinite(due) ? Math.min(due, definition.intervalMs) : 0);
  }

  async function cycle(): Promise<void> {
    const startedAt = performance.now();
    const validUntil = startedAt + leaseTtlMs;
    const alive = await heartbeat(query, replicaId, leaseTtlMs);
    const renewed = await renewLeases(query, replicaId, sharedNames, leaseTtlMs);
    const still = new Set(renewed.map((lease) => lease.source));
    const moved = [...owned.keys()].filter((source) => !still.has(source));
    for (const source of moved) owned.delete(source);
    if (moved.length > 0) {
      changes.lost += moved.length;
      logger.warn(
        { replica: replicaId, sources: moved.slice(0, 10), count: moved.length },
        `leases on ${moved.length} source(s) moved to another replica while this one was away (e.g. "${moved[0]}")`,
      );
    }
    for (const lease of renewed) {
      owned.set(lease.source, { epoch: lease.epoch, validUntil });
      // Renewed late (a slow store or a starved process) after a tick was skipped: catch up.
      if (skippedWhileHeld.delete(lease.source)) probeWhenDue(lease.source);
    }
    skippedWhileHeld.clear();

    const share = Math.ceil(sharedNames.length / alive);
    if (owned.size > share) {
      // Give back the excess: a replica that joined (or came back) takes it.
      const excess = [...owned.keys()].sort().slice(share);
      for (const source of excess) owned.delete(source);
      const released = await releaseLeases(query, replicaId, excess);
      changes.released += released;
      logger.info({ replica: replicaId, released, share, alive, sources: excess.slice(0, 5) }, 'leases released to balance the replicas');
    } else if (owned.size < share) {
      const taken = await acquireLeases(query, replicaId, sharedNames, share - owned.size, leaseTtlMs);
      for (const lease of taken) owned.set(lease.source, { epoch: lease.epoch, validUntil });
      if (taken.length > 0) {
        changes.acquired += taken.length;
        logger.info({ replica: replicaId, acquired: taken.length, share, alive, sources: taken.slice(0, 5).map((l) => l.source) }, 'leases acquired');
        // Results published before this replica took over are part of its view already.
        await reload(taken.map((lease) => lease.source));
        for (const lease of taken) probeWhenDue(lease.source);
      }
    }
    owners = await leaseOwners(query, sharedNames);
    const lapse = await nextForeignExpiryMs(query, replicaId, sharedNames);
    nextCycleMs = lapse === undefined ? cycleMs : Math.max(10, Math.min(cycleMs, Math.ceil(lapse) + 10));
    cycles += 1;
    if (cycles % RELOAD_EVERY_CYCLES === 0) {
      await reload();
      await forgetDeadReplicas(query);
    }
  }

  function runCycle(): Promise<void> {
    if (cycling) {
      cycleAgain = true;
      return cycling;
    }
    clearTimeout(cycleTimer);
    cycling = cycle()
      .then(
        () => {
          lastCycleOk = true;
          reportStore(listener?.connected() === false ? 'notification connection down' : undefined);
        },
        (error: unknown) => {
          lastCycleOk = false;
          reportStore(error instanceof Error ? error.message : String(error));
        },
      )
      .finally(() => {
        cycling = undefined;
        if (stopped) return;
        const again = cycleAgain;
        cycleAgain = false;
        cycleTimer = setTimeout(() => void runCycle(), again ? 0 : lastCycleOk ? nextCycleMs : cycleMs);
        cycleTimer.unref();
      });
    return cycling;
  }

  /** Another replica released leases: look again soon, with jitter so not all rush at once. */
  function requestCycle(): void {
    if (stopped) return;
    clearTimeout(cycleTimer);
    cycleTimer = setTimeout(() => void runCycle(), Math.floor(Math.random() * 50));
    cycleTimer.unref();
  }

  const isLocal = (source: string): boolean => !definitions.has(source);

  function owns(source: string): Owned | undefined {
    const lease = owned.get(source);
    return lease && performance.now() < lease.validUntil ? lease : undefined;
  }

  return {
    replicaId,

    shouldProbe(definition) {
      if (stopped) return false;
      if (isLocal(definition.name) || owns(definition.name) !== undefined) return true;
      if (owned.has(definition.name)) skippedWhileHeld.add(definition.name);
      return false;
    },

    publish(definition: SourceDefinition, result: CheckResult) {
      if (isLocal(definition.name)) return false;
      const lease = owns(definition.name);
      if (!lease || stopped) return true; // the lease lapsed during the run: the result is dropped
      publishResult(query, replicaId, lease.epoch, result).then(
        (stored) => {
          if (stored) {
            adopt(stored);
            input.onPublished?.(result);
            return;
          }
          // Fenced: the lease moved (this replica was paused or cut off). Never shown.
          if (owned.get(definition.name)?.epoch === lease.epoch) owned.delete(definition.name);
          changes.lost += 1;
          logger.warn({ replica: replicaId, source: definition.name }, `result for "${definition.name}" refused: its lease moved to another replica`);
        },
        (error: unknown) => {
          logger.warn({ replica: replicaId, source: definition.name, reason: (error as Error).message }, 'result not published');
        },
      );
      return true;
    },

    async start(target) {
      engine = target;
      await ensureLeaseRows(query, sharedNames);
      await reload();
      listener = startListener({
        url: input.url,
        channels: [RESULTS_CHANNEL, LEASES_CHANNEL],
        connectTimeoutMs: queryTimeoutMs,
        onNotification,
        onConnected: () => {
          // What was published while the listener was away is in the table.
          void reload().catch(() => undefined);
          requestCycle();
        },
        onLost: (message) => {
          logger.warn({ replica: replicaId, reason: message }, 'store notifications lost; reconnecting');
        },
      });
      await runCycle();
      logger.info(
        { replica: replicaId, leaseTtlMs, shared: sharedNames.length, owned: owned.size },
        'replica coordination on: shared sources are probed by one replica at a time',
      );
    },

    view(base) {
      const shown = (state: SourceState): SourceState => (known.has(state.definition.name) ? withStaleness(state, now()) : state);
      // Results turn stale with the clock, not with a new result, and answers cached on the
      // revision (the fast path's) must see that. Between two results of the base engine a
      // source only ever turns stale (never fresh again), so the base revision and the number
      // of stale sources together name the view; the count is redone only when the base moved
      // or the next source is due to turn stale.
      let counted: { results: number; stale: number; nextDueMs: number } | undefined;
      const staleCount = (results: number, nowMs: number): number => {
        if (counted && counted.results === results && nowMs <= counted.nextDueMs) return counted.stale;
        let stale = 0;
        let nextDueMs = Number.POSITIVE_INFINITY;
        for (const state of base.sources()) {
          if (!state.latest || !known.has(state.definition.name)) continue;
          const age = resultAgeMs(state.latest, nowMs);
          const after = staleAfterMs(state.definition);
          if (age > after) stale += 1;
          else nextDueMs = Math.min(nextDueMs, nowMs + (after - age));
        }
        counted = { results, stale, nextDueMs };
        return stale;
      };
      let seenResults = -1;
      let seenStatuses = -1;
      let seenStale = -1;
      // Frozen and replaced only when it moves: the fast path asks on every request, and an
      // unchanged view allocates nothing.
      let revision: Readonly<{ results: number; statuses: number }> = Object.freeze({ results: 0, statuses: 0 });
      return {
        ...base,
        revision: () => {
          const moved = base.revision();
          const stale = staleCount(moved.results, now());
          const results = moved.results !== seenResults || stale !== seenStale;
          const statuses = moved.statuses !== seenStatuses || stale !== seenStale;
          if (results || statuses) {
            revision = Object.freeze({ results: revision.results + (results ? 1 : 0), statuses: revision.statuses + (statuses ? 1 : 0) });
          }
          seenResults = moved.results;
          seenStatuses = moved.statuses;
          seenStale = stale;
          return revision;
        },
        sources: () => base.sources().map(shown),
        source: (name) => {
          const state = base.source(name);
          return state && shown(state);
        },
      };
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(cycleTimer);
      await cycling;
      owned.clear();
      // Leave first: the others, woken by the release, must already count one replica less.
      await leaveReplicas(query, replicaId)
        .then(() => releaseLeases(query, replicaId))
        .catch((error: unknown) => logger.warn({ reason: (error as Error).message }, 'leases not released; they lapse after their TTL'));
      await listener?.close();
      await pool.end().catch(() => undefined);
    },

    storeReachable: reachable,
    owners: () => owners,
    owned: () => [...owned.keys()].filter((source) => owns(source) !== undefined),
    leaseChanges: (): LeaseChangeCounts => ({ ...changes }),
    isLocal,
  };
}
