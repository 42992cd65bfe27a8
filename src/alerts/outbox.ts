// The alerts' part of the store. A state change and its outbox rows are written in one
// transaction, under a row lock on the source's state, so a change is announced once however
// many replicas (or restarts) see it; delivery claims rows with FOR UPDATE SKIP LOCKED and a
// lease, so one replica sends each row and a replica that dies mid-send leaves it to another.
import type { Store } from '../store/types.ts';
import type { AlertEvent, AlertEventKind } from './types.ts';

export interface PersistedState {
  readonly down: boolean;
  readonly notified: boolean;
  readonly incidentStartedAt: number | null;
  readonly incidentSeq: number;
  /** When the result that made the last announced change was taken (epoch ms). */
  readonly asOf: number | null;
}

const NO_STATE: PersistedState = { down: false, notified: false, incidentStartedAt: null, incidentSeq: 0, asOf: null };

type StateRow = { down: boolean; notified: boolean; incident_started_at: unknown; incident_seq: unknown; as_of: unknown };

function stateOf(row: StateRow | undefined): PersistedState {
  if (!row) return NO_STATE;
  return {
    down: row.down,
    notified: row.notified,
    incidentStartedAt: ms(row.incident_started_at),
    incidentSeq: Number(row.incident_seq),
    asOf: ms(row.as_of),
  };
}

function ms(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.getTime() : Date.parse(String(value));
}

export async function readState(store: Store, source: string): Promise<PersistedState> {
  const [row] = await store.query<StateRow>(
    'SELECT down, notified, incident_started_at, incident_seq, as_of FROM vigil_alert_state WHERE source = $1',
    [source],
  );
  return stateOf(row);
}

export interface Announcement {
  readonly source: string;
  readonly event: AlertEventKind;
  /** The state this process believed the source had before the change. */
  readonly expected: Pick<PersistedState, 'down' | 'notified'>;
  /** When the result that makes the change was taken (epoch ms). */
  readonly at: number;
  readonly incidentStartedAt: number;
  readonly notifiers: readonly string[];
  readonly body: Omit<AlertEvent, 'id' | 'incidentKey' | 'event'>;
}

/**
 * Writes the change and one outbox row per notifier, unless the stored state is no longer
 * what this process expected (another replica, or this process before a restart, announced it
 * already): then nothing is written and the stored state is returned to be adopted.
 */
export async function announce(store: Store, a: Announcement): Promise<{ written: boolean; state: PersistedState }> {
  return store.transaction(async (query) => {
    await query('INSERT INTO vigil_alert_state (source, down, notified) VALUES ($1, false, false) ON CONFLICT (source) DO NOTHING', [a.source]);
    const [row] = await query<StateRow>(
      'SELECT down, notified, incident_started_at, incident_seq, as_of FROM vigil_alert_state WHERE source = $1 FOR UPDATE',
      [a.source],
    );
    const stored = stateOf(row);
    const storedNotified = stored.down && stored.notified;
    const expectedNotified = a.expected.down && a.expected.notified;
    if (storedNotified !== expectedNotified) return { written: false, state: stored };
    // A result no newer than the one behind the last change is history already.
    if (stored.asOf !== null && a.at <= stored.asOf) return { written: false, state: stored };
    const seq = a.event === 'triggered' ? stored.incidentSeq + 1 : stored.incidentSeq;
    const next: PersistedState =
      a.event === 'triggered'
        ? { down: true, notified: true, incidentStartedAt: a.incidentStartedAt, incidentSeq: seq, asOf: a.at }
        : { down: false, notified: false, incidentStartedAt: null, incidentSeq: seq, asOf: a.at };
    await query(
      `UPDATE vigil_alert_state SET down = $2, notified = $3, incident_started_at = $4::timestamptz, incident_seq = $5,
              as_of = $6::timestamptz, updated_at = now()
       WHERE source = $1`,
      [
        a.source,
        next.down,
        next.notified,
        next.incidentStartedAt === null ? null : new Date(next.incidentStartedAt).toISOString(),
        seq,
        new Date(a.at).toISOString(),
      ],
    );
    const incidentKey = `${a.source}#${seq}`;
    for (const notifier of a.notifiers) {
      const event = { ...a.body, incidentKey, event: a.event };
      await query(
        `INSERT INTO vigil_alert_outbox (notifier, source, dedup_key, event) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (dedup_key) DO NOTHING`,
        [notifier, a.source, `${notifier}|${incidentKey}|${a.event}`, JSON.stringify(event)],
      );
    }
    return { written: true, state: next };
  });
}

export interface ClaimedDelivery {
  readonly id: string;
  readonly notifier: string;
  readonly attempts: number;
  readonly event: AlertEvent;
}

/**
 * Claims up to `limit` due rows for `leaseMs` (a crashed sender's rows come back after it).
 * A row waits while an earlier one for the same notifier and source is undelivered, so a
 * receiver never hears "resolved" before the "triggered" it resolves.
 */
export async function claimDue(store: Store, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await store.query<{ id: unknown; notifier: string; attempts: number; event: unknown }>(
    `UPDATE vigil_alert_outbox SET attempts = attempts + 1, next_attempt_at = now() + ($2::double precision * interval '1 millisecond')
     WHERE id IN (
       SELECT id FROM vigil_alert_outbox o
       WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now()
         AND NOT EXISTS (
           SELECT 1 FROM vigil_alert_outbox earlier
           WHERE earlier.notifier = o.notifier AND earlier.source = o.source AND earlier.id < o.id
             AND earlier.delivered_at IS NULL AND earlier.gave_up_at IS NULL)
       ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, notifier, attempts, event`,
    [limit, leaseMs],
  );
  return rows
    .map((row) => {
      const event = (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as Omit<AlertEvent, 'id'>;
      return { id: String(row.id), notifier: row.notifier, attempts: Number(row.attempts), event: { ...event, id: `vigil-${String(row.id)}` } };
    })
    .sort((a, b) => Number(a.id) - Number(b.id));
}

export async function markDelivered(store: Store, id: string): Promise<void> {
  await store.query('UPDATE vigil_alert_outbox SET delivered_at = now(), last_error = NULL WHERE id = $1', [id]);
}

/** Schedules the next attempt in `retryInMs`, or gives the row up. */
export async function markFailed(store: Store, id: string, error: string, retryInMs: number | undefined): Promise<void> {
  await store.query(
    `UPDATE vigil_alert_outbox SET last_error = $2,
       next_attempt_at = CASE WHEN $3::double precision IS NULL THEN next_attempt_at ELSE now() + ($3::double precision * interval '1 millisecond') END,
       gave_up_at = CASE WHEN $3::double precision IS NULL THEN now() ELSE NULL END
     WHERE id = $1`,
    [id, error, retryInMs ?? null],
  );
}
