// One long-lived client per source, created on first use and rebuilt when broken. Checks keep
// their pool/connection here so a probe never pays for a connect unless the last one broke.
import { option } from './options.ts';
import { onAbort, type Phase } from './probe.ts';

/** Default of a source's `max_connection_age`. */
export const DEFAULT_MAX_CONNECTION_AGE_MS = 60_000;

/**
 * The `max_connection_age` option of every kind that keeps a connection: how long one client
 * (connection or pool) may be reused before it is rebuilt, so the source re-authenticates at
 * least that often. A password rotated or revoked on the server otherwise goes unnoticed for as
 * long as the old, already-authenticated connection lives.
 */
export const connectionAgeOption = {
  max_connection_age: option.duration(
    DEFAULT_MAX_CONNECTION_AGE_MS,
    100,
    'How long one connection (or pool) is reused before it is rebuilt and authenticates again, so a rotated or revoked password shows within it (default 60s).',
  ),
};

export interface LazyClientInput<C> {
  /** Builds and connects a client; `signal` aborts when the client is discarded while connecting. */
  readonly create: (signal: AbortSignal) => Promise<C>;
  /** Releases a client. Must not wait on a dependency that may never answer. */
  readonly destroy: (client: C) => Promise<void> | void;
  /** False once the client can no longer serve (closed by the server, errored): rebuild it. */
  readonly usable?: (client: C) => boolean;
  /** Rebuild a client this long after its connect began (re-authentication); absent: never. */
  readonly maxAgeMs?: number;
}

export interface LazyClient<C> {
  /** The current client, created on first use, after `discard`, when no longer usable or past its maximum age. */
  get(): Promise<C>;
  /**
   * Drops the current client (broken, or stuck past a deadline) without waiting for it to
   * close; the next `get` builds a new one.
   */
  discard(): void;
  /** Discards, waits until every client is released and refuses further use. Safe to call twice. */
  close(): Promise<void>;
}

export function createLazyClient<C>(input: LazyClientInput<C>): LazyClient<C> {
  const usable = input.usable ?? (() => true);
  let current: Promise<C> | undefined;
  /** When the current client's connect began (performance.now()). */
  let connectStartedAt = 0;
  let connecting: AbortController | undefined;
  let closed = false;
  const releasing = new Set<Promise<void>>();

  const release = (pending: Promise<C>): void => {
    // A client still connecting is released when its connect settles (bounded by its timeout).
    const done = pending
      .then((client) => input.destroy(client))
      .catch(() => undefined)
      .finally(() => releasing.delete(done));
    releasing.add(done);
  };

  const discard = (): void => {
    const pending = current;
    current = undefined;
    // A connect still in flight is cut short rather than waited for.
    connecting?.abort(new Error('client discarded'));
    connecting = undefined;
    if (pending) release(pending);
  };

  const create = (): Promise<C> => {
    const controller = new AbortController();
    connectStartedAt = performance.now();
    const pending = input.create(controller.signal);
    current = pending;
    connecting = controller;
    const settled = (): void => {
      if (connecting === controller) connecting = undefined;
    };
    pending.then(settled, () => {
      settled();
      // A failed connect leaves nothing to release; forget it so the next probe retries.
      if (current === pending) current = undefined;
    });
    return pending;
  };

  return {
    async get() {
      if (closed) throw new Error('client closed');
      const existing = current;
      if (!existing) return create();
      const client = await existing;
      if (closed) throw new Error('client closed');
      const expired = input.maxAgeMs !== undefined && current === existing && performance.now() - connectStartedAt >= input.maxAgeMs;
      if (usable(client) && !expired) return client;
      if (current === existing) discard();
      return current ?? create();
    },
    discard,
    async close() {
      closed = true;
      discard();
      await Promise.all([...releasing]);
    },
  };
}

/**
 * Runs one probe on the current client, taken in the probe's `connect` phase. Past the deadline
 * the client is dropped at once: the server may never answer. A failed probe drops it too: a
 * connection that failed a probe may be half-dead without having said so, so the next probe
 * rebuilds it.
 */
export async function probeOnClient<C, T>(
  clients: LazyClient<C>,
  signal: AbortSignal,
  phase: Phase,
  probe: (client: C) => Promise<T>,
): Promise<T> {
  const stopWatching = onAbort(signal, () => clients.discard());
  try {
    const client = await phase('connect', () => clients.get());
    return await probe(client);
  } catch (error) {
    clients.discard();
    throw error;
  } finally {
    stopWatching();
  }
}
