// The history of every source, for handlers: results recorded as the engine produces them,
// reads bounded by a deadline (a hung store never hangs a request) and shared for a moment
// (a busy status page costs one read per `cacheMs`), and retention applied hourly.
import type { Logger } from 'pino';
import type { CheckResult } from '../checks/types.ts';
import type { Store } from '../store/types.ts';
import { readHistories, type StoredHistory } from './reader.ts';
import { createHistoryRecorder } from './recorder.ts';
import { applyRetention } from './retention.ts';

export interface HistorySettings {
  readonly retentionMs: number;
  readonly flushIntervalMs: number;
  /** Longest a request waits on the store for history before it answers 503. */
  readonly readTimeoutMs: number;
}

export const HISTORY_DEFAULTS: HistorySettings = {
  retentionMs: 30 * 86_400_000,
  flushIntervalMs: 5_000,
  readTimeoutMs: 1_000,
};

export class HistoryUnavailableError extends Error {
  override readonly name = 'HistoryUnavailableError';
}

export interface HistoryService {
  /** For the engine: every result this process produced. */
  record(result: CheckResult): void;
  /** The stored history of each source (one read for all of them). */
  read(sources: readonly string[]): Promise<Map<string, StoredHistory>>;
  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface HistoryServiceInput {
  readonly store: Store;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
  readonly settings?: Partial<HistorySettings>;
  readonly now?: () => number;
  /** How long one read is shared between requests; default 2 s. */
  readonly cacheMs?: number;
}

const RETENTION_EVERY_MS = 3_600_000;

export function createHistoryService(input: HistoryServiceInput): HistoryService {
  const settings = { ...HISTORY_DEFAULTS, ...input.settings };
  const now = input.now ?? Date.now;
  const cacheMs = input.cacheMs ?? 2_000;
  const recorder = createHistoryRecorder({ store: input.store, logger: input.logger, flushIntervalMs: settings.flushIntervalMs });
  const cache = new Map<string, { at: number; value: Promise<Map<string, StoredHistory>> }>();

  const retain = () =>
    applyRetention(input.store, settings.retentionMs, now()).catch((error: unknown) =>
      input.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'history: retention failed; trying again later'),
    );
  const firstRetention = setTimeout(() => void retain(), 60_000);
  firstRetention.unref();
  const retention = setInterval(() => void retain(), RETENTION_EVERY_MS);
  retention.unref();

  function withDeadline<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new HistoryUnavailableError(`the store did not answer within ${settings.readTimeoutMs} ms`)),
        settings.readTimeoutMs,
      );
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(new HistoryUnavailableError(error instanceof Error ? error.message : String(error)));
        },
      );
    });
  }

  return {
    record: recorder.record,
    read(sources) {
      const key = [...sources].sort().join('\u0000');
      const cached = cache.get(key);
      if (cached && now() - cached.at < cacheMs) return cached.value;
      const value = withDeadline(readHistories(input.store, sources, now()));
      cache.set(key, { at: now(), value });
      // A failed read is not shared: the next request tries again.
      value.catch(() => cache.delete(key));
      if (cache.size > 100) cache.delete(cache.keys().next().value as string);
      return value;
    },
    flush: recorder.flush,
    async close() {
      clearTimeout(firstRetention);
      clearInterval(retention);
      await recorder.close();
    },
  };
}
