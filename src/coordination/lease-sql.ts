// The SQL of replica coordination, on the tables of migration 0002_coordination.sql. Every
// time is the database's (`now()`), so replicas never compare their own clocks. Epochs and
// sequences are bigint and travel as strings.
import type { CheckResult } from '../checks/types.ts';

export type Query = <Row extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

/** NOTIFY channel of published results (payload: a SharedResult, or `{source}` when too big). */
export const RESULTS_CHANNEL = 'vigil_results';
/** NOTIFY channel of released leases (payload: the releasing replica's id). */
export const LEASES_CHANNEL = 'vigil_leases';
/** NOTIFY channel of credential revocations (payload: what to forget, see identity). */
export const REVOCATIONS_CHANNEL = 'vigil_revocations';
/** NOTIFY payloads must stay under 8000 bytes; bigger results are fetched by name. */
const MAX_NOTIFY_BYTES = 7_800;

/** One source's lease as this replica holds it. */
export interface HeldLease {
  readonly source: string;
  readonly epoch: bigint;
}

/** The latest accepted result of a source, with its place in the order of results. */
export interface SharedResult {
  readonly source: string;
  readonly epoch: bigint;
  readonly seq: bigint;
  readonly owner: string;
  readonly result: CheckResult;
}

/** True when `a` was published after `b` (a greater epoch, or the same epoch and a greater seq). */
export function isNewer(a: Pick<SharedResult, 'epoch' | 'seq'>, b: Pick<SharedResult, 'epoch' | 'seq'> | undefined): boolean {
  if (!b) return true;
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

interface ResultRow extends Record<string, unknown> {
  source: string;
  epoch: string;
  seq: string;
  owner: string;
  result: unknown;
}

function resultOf(value: unknown): CheckResult {
  return (typeof value === 'string' ? JSON.parse(value) : value) as CheckResult;
}

/** A row or a NOTIFY payload as a SharedResult; undefined when it does not hold one. */
export function sharedResultOf(row: Partial<ResultRow>): SharedResult | undefined {
  if (typeof row.source !== 'string' || row.epoch === undefined || row.seq === undefined || row.result === undefined) return undefined;
  return { source: row.source, epoch: BigInt(row.epoch), seq: BigInt(row.seq), owner: String(row.owner), result: resultOf(row.result) };
}

const ttl = (ms: number): string => `${Math.max(1, Math.round(ms))} milliseconds`;

/** Says this replica is alive until now + ttl; returns how many replicas are alive. */
export async function heartbeat(query: Query, replica: string, ttlMs: number): Promise<number> {
  await query(
    `INSERT INTO vigil_replicas (id, expires_at) VALUES ($1, now() + $2::interval)
     ON CONFLICT (id) DO UPDATE SET seen_at = now(), expires_at = EXCLUDED.expires_at`,
    [replica, ttl(ttlMs)],
  );
  const [row] = await query<{ alive: number }>(`SELECT count(*)::int AS alive FROM vigil_replicas WHERE expires_at > now()`);
  return Math.max(1, row?.alive ?? 1);
}

/** Forgets replicas gone for an hour (their rows only serve the `alive` count). */
export async function forgetDeadReplicas(query: Query): Promise<void> {
  await query(`DELETE FROM vigil_replicas WHERE expires_at < now() - interval '1 hour'`);
}

/** Creates the lease rows of `sources` that do not exist yet (free, epoch 0). */
export async function ensureLeaseRows(query: Query, sources: readonly string[]): Promise<void> {
  if (sources.length === 0) return;
  await query(`INSERT INTO vigil_source_leases (source) SELECT unnest($1::text[]) ON CONFLICT (source) DO NOTHING`, [sources]);
}

function held(rows: readonly { source: string; epoch: string }[]): HeldLease[] {
  return rows.map((row) => ({ source: row.source, epoch: BigInt(row.epoch) }));
}

/**
 * Extends every lease `replica` still holds among `sources`. A lease that expired but that
 * nobody took is still this replica's (same epoch): nothing was published over it.
 */
export async function renewLeases(query: Query, replica: string, sources: readonly string[], ttlMs: number): Promise<HeldLease[]> {
  const rows = await query<{ source: string; epoch: string }>(
    `UPDATE vigil_source_leases SET expires_at = now() + $3::interval
     WHERE owner = $1 AND source = ANY($2::text[])
     RETURNING source, epoch::text`,
    [replica, sources, ttl(ttlMs)],
  );
  return held(rows);
}

/**
 * Takes up to `count` free or expired leases among `sources`, each with a new epoch. SKIP
 * LOCKED: replicas acquiring at the same time take different rows instead of waiting.
 */
export async function acquireLeases(
  query: Query,
  replica: string,
  sources: readonly string[],
  count: number,
  ttlMs: number,
): Promise<HeldLease[]> {
  if (count <= 0) return [];
  const rows = await query<{ source: string; epoch: string }>(
    `UPDATE vigil_source_leases AS lease
     SET owner = $1, epoch = lease.epoch + 1, expires_at = now() + $4::interval, changed_at = now()
     FROM (
       SELECT source FROM vigil_source_leases
       WHERE source = ANY($2::text[]) AND (owner IS NULL OR expires_at <= now())
       ORDER BY expires_at, source
       LIMIT $3
       FOR UPDATE SKIP LOCKED
     ) AS free
     WHERE lease.source = free.source
     RETURNING lease.source, lease.epoch::text`,
    [replica, sources, count, ttl(ttlMs)],
  );
  return held(rows);
}

/** Frees `sources` (all of this replica's leases when omitted) and tells the other replicas. */
export async function releaseLeases(query: Query, replica: string, sources?: readonly string[]): Promise<number> {
  const rows = await query<{ source: string }>(
    `WITH released AS (
       UPDATE vigil_source_leases SET owner = NULL, expires_at = '-infinity', changed_at = now()
       WHERE owner = $1 AND ($2::text[] IS NULL OR source = ANY($2::text[]))
       RETURNING source
     )
     SELECT source, pg_notify('${LEASES_CHANNEL}', $1) FROM released`,
    [replica, sources ?? null],
  );
  return rows.length;
}

/** Removes this replica from the `alive` count (orderly shutdown). */
export async function leaveReplicas(query: Query, replica: string): Promise<void> {
  await query(`DELETE FROM vigil_replicas WHERE id = $1`, [replica]);
}

/**
 * Publishes `result` under the lease (`replica`, `epoch`) and notifies every replica. Fencing:
 * nothing is written unless the lease row still names this owner and epoch (held FOR SHARE
 * so it cannot move during the write), and a stored result with a greater (epoch, seq) is
 * never overwritten. Returns the stored result, or undefined when the store refused it.
 */
export async function publishResult(
  query: Query,
  replica: string,
  epoch: bigint,
  result: CheckResult,
): Promise<SharedResult | undefined> {
  const rows = await query<ResultRow>(
    `WITH lease AS (
       SELECT source, epoch FROM vigil_source_leases WHERE source = $1 AND owner = $2 AND epoch = $3::bigint FOR SHARE
     ), written AS (
       INSERT INTO vigil_source_results AS stored (source, epoch, seq, owner, result)
       SELECT lease.source, lease.epoch, nextval('vigil_source_result_seq'), $2, $4::jsonb FROM lease
       ON CONFLICT (source) DO UPDATE
         SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, owner = EXCLUDED.owner, result = EXCLUDED.result, written_at = now()
         WHERE (stored.epoch, stored.seq) < (EXCLUDED.epoch, EXCLUDED.seq)
       RETURNING source, epoch, seq, owner, result
     ), payload AS (
       SELECT source, epoch, seq, owner, result,
              json_build_object('source', source, 'epoch', epoch::text, 'seq', seq::text, 'owner', owner, 'result', result)::text AS doc
       FROM written
     )
     SELECT source, epoch::text, seq::text, owner, result,
            pg_notify('${RESULTS_CHANNEL}',
              CASE WHEN octet_length(doc) <= ${MAX_NOTIFY_BYTES} THEN doc ELSE json_build_object('source', source)::text END)
     FROM payload`,
    [result.source, replica, epoch.toString(), JSON.stringify(result)],
  );
  return rows[0] ? sharedResultOf(rows[0]) : undefined;
}

/** The stored results of `sources` (all when omitted). */
export async function loadResults(query: Query, sources?: readonly string[]): Promise<SharedResult[]> {
  const rows = await query<ResultRow>(
    `SELECT source, epoch::text, seq::text, owner, result FROM vigil_source_results
     WHERE $1::text[] IS NULL OR source = ANY($1::text[])`,
    [sources ?? null],
  );
  return rows.flatMap((row) => sharedResultOf(row) ?? []);
}

/** Who holds each lease among `sources` now (expired leases count as free). */
export async function leaseOwners(query: Query, sources: readonly string[]): Promise<Map<string, string>> {
  const rows = await query<{ source: string; owner: string }>(
    `SELECT source, owner FROM vigil_source_leases WHERE source = ANY($1::text[]) AND owner IS NOT NULL AND expires_at > now()`,
    [sources],
  );
  return new Map(rows.map((row) => [row.source, row.owner]));
}

/**
 * Milliseconds until the first lease among `sources` held by another replica expires
 * (undefined: none held). A replica that died stops renewing: looking again right then takes
 * its sources over within the TTL, not the TTL plus a cycle.
 */
export async function nextForeignExpiryMs(query: Query, replica: string, sources: readonly string[]): Promise<number | undefined> {
  const [row] = await query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM min(expires_at) - now()) * 1000)::float8 AS ms FROM vigil_source_leases
     WHERE source = ANY($2::text[]) AND owner IS NOT NULL AND owner <> $1 AND expires_at > now()`,
    [replica, sources],
  );
  return row?.ms ?? undefined;
}
