// Login sessions. The client holds a random 256-bit id (the `psession` cookie, or 000's
// `SessionID`); the server keeps only its SHA-256, in Redis when one is configured, else in
// the store. A session ends at `expiresAt` (absolute, from `auth.session.ttlMs`), after
// `idleTimeoutMs` without use, or on logout. A use is recorded (`lastSeenAt`) at most once per
// `touchEveryMs` (auth.credential_reuse), so the sliding idle timeout has that granularity: a
// session ends between `idleTimeoutMs - touchEveryMs` and `idleTimeoutMs` after its last use.
// Time is read from an injected clock so expiry is tested without waiting.
import type { Redis } from 'ioredis';
import type { Store } from '../store/types.ts';
import { randomToken, sha256Hex } from './secrets.ts';

export interface SessionRecord {
  readonly userId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly revoked: boolean;
  /** The user's session epoch at login; the session ends when the user's moves on (disabled). */
  readonly userEpoch: number;
}

/** Where session records live. Keys are SHA-256 hashes of session ids, never the ids. */
export interface SessionBackend {
  readonly kind: 'store' | 'redis';
  /** Stores a new session; `keepMs` is how long the record must survive from now. */
  insert(idHash: string, record: SessionRecord, keepMs: number): Promise<void>;
  get(idHash: string): Promise<SessionRecord | undefined>;
  /** Records use at `lastSeenAt`; `keepMs` is how long the record must survive from now. */
  touch(idHash: string, lastSeenAt: number, keepMs: number): Promise<void>;
  revoke(idHash: string): Promise<void>;
  close(): Promise<void>;
}

export function createStoreSessionBackend(store: Store): SessionBackend {
  interface Row extends Record<string, unknown> {
    user_id: string;
    created_at: Date;
    last_seen_at: Date;
    expires_at: Date;
    revoked: boolean;
    user_epoch: number;
  }
  return {
    kind: 'store',
    async insert(idHash, record) {
      // Logins are rare next to requests: a good moment to forget sessions that have ended.
      await store.query('DELETE FROM sessions WHERE expires_at < $1', [new Date(record.createdAt)]);
      await store.query(
        'INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, revoked, user_epoch) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [idHash, record.userId, new Date(record.createdAt), new Date(record.lastSeenAt), new Date(record.expiresAt), record.revoked, record.userEpoch],
      );
    },
    async get(idHash) {
      const [row] = await store.query<Row>(
        'SELECT user_id, created_at, last_seen_at, expires_at, revoked, user_epoch FROM sessions WHERE id = $1',
        [idHash],
      );
      if (!row) return undefined;
      return {
        userId: row.user_id,
        createdAt: new Date(row.created_at).getTime(),
        lastSeenAt: new Date(row.last_seen_at).getTime(),
        expiresAt: new Date(row.expires_at).getTime(),
        revoked: row.revoked,
        userEpoch: Number(row.user_epoch),
      };
    },
    async touch(idHash, lastSeenAt) {
      await store.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1', [idHash, new Date(lastSeenAt)]);
    },
    async revoke(idHash) {
      await store.query('UPDATE sessions SET revoked = true WHERE id = $1', [idHash]);
    },
    async close() {},
  };
}

/**
 * Sessions in Redis under `<keyPrefix>session:<hash>`, each with a TTL that is the sooner of
 * absolute expiry and idle timeout, so Redis forgets dead sessions by itself. Logout deletes.
 */
export function createRedisSessionBackend(redis: Redis, keyPrefix: string): SessionBackend {
  const keyOf = (idHash: string) => `${keyPrefix}session:${idHash}`;
  return {
    kind: 'redis',
    async insert(idHash, record, keepMs) {
      await redis.set(keyOf(idHash), JSON.stringify(record), 'PX', Math.max(1, keepMs));
    },
    async get(idHash) {
      const raw = await redis.get(keyOf(idHash));
      if (!raw) return undefined;
      try {
        const value = JSON.parse(raw) as SessionRecord;
        // Records written before session epochs existed are of epoch 0, as the store's column.
        return typeof value.userId === 'string' ? { ...value, userEpoch: typeof value.userEpoch === 'number' ? value.userEpoch : 0 } : undefined;
      } catch {
        return undefined;
      }
    },
    async touch(idHash, lastSeenAt, keepMs) {
      const raw = await redis.get(keyOf(idHash));
      if (!raw) return;
      const record = { ...(JSON.parse(raw) as SessionRecord), lastSeenAt };
      // XX: never resurrect a session deleted (logged out) between the GET and the SET.
      await redis.set(keyOf(idHash), JSON.stringify(record), 'PX', Math.max(1, keepMs), 'XX');
    },
    async revoke(idHash) {
      await redis.del(keyOf(idHash));
    },
    async close() {
      redis.disconnect();
    },
  };
}

export interface SessionManagerInput {
  readonly backend: SessionBackend;
  readonly ttlMs: number;
  readonly idleTimeoutMs: number;
  /**
   * A use is written only when the recorded one is at least this old (0: every use): a write
   * per request would cap session endpoints at the store's write rate.
   */
  readonly touchEveryMs?: number;
  readonly now: () => number;
}

export interface ActiveSession {
  readonly idHash: string;
  readonly record: SessionRecord;
}

export interface SessionManager {
  readonly backend: SessionBackend;
  /** Starts a session for a user at its `userEpoch`; the returned id is the only copy of the secret. */
  create(userId: string, userEpoch: number): Promise<{ sessionId: string; expiresAt: Date }>;
  /**
   * The live session for `sessionId`, else undefined; `touch` records the use (when the
   * recorded one is `touchEveryMs` old or more). The record returned has the `lastSeenAt` the
   * backend holds now.
   */
  resolve(sessionId: string, options?: { touch?: boolean }): Promise<ActiveSession | undefined>;
  revoke(sessionId: string): Promise<void>;
}

/** Session ids are 32 random bytes in base64url: 43 characters. Anything else is not one. */
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashSessionId(sessionId: string): string {
  return sha256Hex(sessionId);
}

export function createSessionManager(input: SessionManagerInput): SessionManager {
  const { backend, ttlMs, idleTimeoutMs, now } = input;
  const touchEveryMs = input.touchEveryMs ?? 0;
  return {
    backend,
    async create(userId, userEpoch) {
      const sessionId = randomToken(32);
      const created = now();
      const record: SessionRecord = { userId, createdAt: created, lastSeenAt: created, expiresAt: created + ttlMs, revoked: false, userEpoch };
      await backend.insert(hashSessionId(sessionId), record, Math.min(ttlMs, idleTimeoutMs));
      return { sessionId, expiresAt: new Date(record.expiresAt) };
    },
    async resolve(sessionId, options = {}) {
      if (!SESSION_ID_SHAPE.test(sessionId)) return undefined;
      const idHash = hashSessionId(sessionId);
      const record = await backend.get(idHash);
      const at = now();
      if (!record || record.revoked || at >= record.expiresAt || at - record.lastSeenAt >= idleTimeoutMs) return undefined;
      if (!options.touch || at - record.lastSeenAt < touchEveryMs) return { idHash, record };
      await backend.touch(idHash, at, Math.min(record.expiresAt - at, idleTimeoutMs));
      return { idHash, record: { ...record, lastSeenAt: at } };
    },
    async revoke(sessionId) {
      if (!SESSION_ID_SHAPE.test(sessionId)) return;
      await backend.revoke(hashSessionId(sessionId));
    },
  };
}
