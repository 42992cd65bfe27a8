// One dedicated PostgreSQL connection that LISTENs (a pooled connection cannot: LISTEN belongs
// to its session). It reconnects by itself with a capped backoff; `onConnected` runs after each
// (re)connection so the caller can reload what it may have missed while disconnected.
import pg from 'pg';
import { storeError } from '../store/postgres.ts';

export interface Listener {
  connected(): boolean;
  close(): Promise<void>;
}

export interface ListenerInput {
  readonly url: string;
  readonly channels: readonly string[];
  readonly connectTimeoutMs: number;
  onNotification(channel: string, payload: string): void;
  onConnected(): void;
  /** The connection failed or was lost (message redacted); it is being retried. */
  onLost(message: string): void;
}

const MAX_BACKOFF_MS = 2_000;

export function startListener(input: ListenerInput): Listener {
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let backoffMs = 100;
  let retry: NodeJS.Timeout | undefined;

  const lost = (error: unknown): void => {
    const wasConnected = connected;
    connected = false;
    const broken = client;
    client = undefined;
    broken?.removeAllListeners('notification');
    void broken?.end().catch(() => undefined);
    if (closed) return;
    if (wasConnected || backoffMs === 100) input.onLost(storeError('notification connection lost', error, input.url).message);
    retry = setTimeout(connect, backoffMs);
    retry.unref();
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
  };

  function connect(): void {
    if (closed) return;
    const next = new pg.Client({
      connectionString: input.url,
      connectionTimeoutMillis: input.connectTimeoutMs,
      // A store that stops answering must be noticed: TCP keepalive, and LISTEN needs no query.
      keepAlive: true,
      application_name: 'vigil-listener',
    });
    client = next;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed || client !== next) return;
      failed = true;
      lost(error);
    };
    next.on('error', fail);
    next.on('end', () => fail(new Error('connection ended')));
    next.on('notification', (message) => {
      if (message.payload !== undefined) input.onNotification(message.channel, message.payload);
    });
    next
      .connect()
      .then(async () => {
        for (const channel of input.channels) await next.query(`LISTEN ${channel}`);
        if (client !== next || closed) return;
        connected = true;
        backoffMs = 100;
        input.onConnected();
      })
      .catch(fail);
  }

  connect();

  return {
    connected: () => connected,
    async close() {
      closed = true;
      clearTimeout(retry);
      connected = false;
      const last = client;
      client = undefined;
      await last?.end().catch(() => undefined);
    },
  };
}
