// Bounds on what a request may wait for while its credential is checked: every store query,
// session-store command and JWKS fetch made for a request gives up after auth.store_timeout
// (default 1 s), so a hung store makes requests fail fast (503) instead of piling up.
import type { Store } from '../store/types.ts';
import type { SessionBackend } from './sessions.ts';

/** A credential check gave up waiting on a dependency. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
}

/** `work`, or a DeadlineExceededError after `ms`. The work itself is not cancelled. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The store with every query and transaction bounded to `ms`. */
export function boundedStore(store: Store, ms: number): Store {
  return {
    backend: store.backend,
    query: (sql, params) => withDeadline(store.query(sql, params), ms, 'the store'),
    transaction: (work) => withDeadline(store.transaction(work), ms, 'the store'),
    migrationStatus: () => withDeadline(store.migrationStatus(), ms, 'the store'),
    close: () => store.close(),
  };
}

/** The session backend with every command bounded to `ms` (closing is not). */
export function boundedSessionBackend(backend: SessionBackend, ms: number): SessionBackend {
  const what = `the session store (${backend.kind})`;
  return {
    kind: backend.kind,
    insert: (idHash, record, keepMs) => withDeadline(backend.insert(idHash, record, keepMs), ms, what),
    get: (idHash) => withDeadline(backend.get(idHash), ms, what),
    touch: (idHash, lastSeenAt, keepMs) => withDeadline(backend.touch(idHash, lastSeenAt, keepMs), ms, what),
    revoke: (idHash) => withDeadline(backend.revoke(idHash), ms, what),
    close: () => backend.close(),
  };
}
