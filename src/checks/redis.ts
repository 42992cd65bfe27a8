// Redis: PING latency and the INFO figures (memory, keys, clients, uptime, evictions, hit rate,
// commands processed) over one long-lived ioredis connection per source.
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisDetails } from './details.ts';
import { endpointOptions, readEndpoint } from './endpoint.ts';
import { connectionAgeOption, createLazyClient, probeOnClient } from './lazy-client.ts';
import { kindOptions, option, readOptions } from './options.ts';
import { backstopMs, elapsedMs, onAbort, phasesOf } from './probe.ts';
import { CheckConfigError, type Check, type SourceDefinition } from './types.ts';

/** `INFO` text as a flat map of field to value; keyspace lines (`db0:keys=1,...`) included. */
export function parseInfo(text: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

function infoNumber(info: ReadonlyMap<string, string>, field: string): number {
  const value = Number(info.get(field));
  if (info.get(field) === undefined || !Number.isFinite(value)) throw new Error(`INFO has no numeric "${field}"`);
  return value;
}

/** Keys summed over every `dbN:keys=...` line of the keyspace section. */
function totalKeys(info: ReadonlyMap<string, string>): number {
  let total = 0;
  for (const [field, value] of info) {
    if (!/^db\d+$/.test(field)) continue;
    const keys = /(?:^|,)keys=(\d+)/.exec(value);
    if (keys) total += Number(keys[1]);
  }
  return total;
}

export function redisDetails(info: ReadonlyMap<string, string>, pingLatencyMs: number): RedisDetails {
  const hits = infoNumber(info, 'keyspace_hits');
  const misses = infoNumber(info, 'keyspace_misses');
  const lookups = hits + misses;
  return {
    server_version: info.get('redis_version') ?? info.get('valkey_version') ?? '',
    ping_latency_ms: pingLatencyMs,
    memory_usage_bytes: infoNumber(info, 'used_memory'),
    total_keys: totalKeys(info),
    connected_clients: infoNumber(info, 'connected_clients'),
    uptime_seconds: infoNumber(info, 'uptime_in_seconds'),
    evicted_keys: infoNumber(info, 'evicted_keys'),
    hit_rate: lookups === 0 ? 0 : Math.round((hits / lookups) * 10_000) / 100,
    total_commands_processed: infoNumber(info, 'total_commands_processed'),
  };
}

const REDIS = { protocols: ['redis:', 'rediss:'], defaultPort: 6379 } as const;

export const redisOptions = kindOptions(
  'A Redis (or Valkey) server: PING latency and the INFO figures (memory, keys, clients, uptime, evictions, hit rate, commands processed) over one long-lived connection. `rediss://` uses TLS.',
  {
    ...endpointOptions(REDIS, 'the Redis server'),
    db: option.optionalInteger({ min: 0, max: 1_000_000 }, "Database number; wins over the URL's path (default 0)."),
    connectTimeoutMs: option.number(3_000, 'Used when this source keeps the sessions (`auth.session.redis_source`): milliseconds to wait for a connection.'),
    commandTimeoutMs: option.number(3_000, 'Used when this source keeps the sessions: milliseconds to wait for a command.'),
    ...connectionAgeOption,
  },
);

/**
 * How to reach the server of a `redis` source: `url` (redis:// or rediss://, db from the path)
 * or `host`/`port`/`user`/`password`/`db`. Shared with the session store, so a source reads
 * the same wherever it is used.
 */
export function readRedisOptions(def: SourceDefinition): {
  readonly options: RedisOptions;
  readonly secrets: readonly string[];
  /** The session store's timeouts (ms). */
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** `max_connection_age`, in milliseconds. */
  readonly maxConnectionAgeMs: number;
} {
  const read = readOptions(def, redisOptions);
  const endpoint = readEndpoint(def, read, REDIS);
  let db = read.db ?? 0;
  if (read.db === undefined && endpoint.path !== undefined) {
    db = Number(endpoint.path);
    if (!Number.isInteger(db) || db < 0) {
      throw new CheckConfigError(`source "${def.name}" (redis): option "url" must end with a database number (redis://host:6379/0)`);
    }
  }
  const options: RedisOptions = {
    host: endpoint.host,
    port: endpoint.port,
    db,
    ...(endpoint.user !== undefined ? { username: endpoint.user } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
    ...(endpoint.url?.protocol === 'rediss:' ? { tls: { servername: endpoint.host } } : {}),
  };
  return {
    options,
    secrets: endpoint.secrets,
    connectTimeoutMs: read.connectTimeoutMs,
    commandTimeoutMs: read.commandTimeoutMs,
    maxConnectionAgeMs: read.max_connection_age,
  };
}

export function createRedisCheck(def: SourceDefinition): Check<'redis'> {
  const { options, secrets, maxConnectionAgeMs } = readRedisOptions(def);
  const backstop = backstopMs(def.timeoutMs);

  const clients = createLazyClient<Redis>({
    maxAgeMs: maxConnectionAgeMs,
    create: async (signal) => {
      const redis = new Redis({
        ...options,
        lazyConnect: true,
        connectTimeout: backstop,
        commandTimeout: backstop,
        // Fail fast while the server is down instead of queueing or retrying: a dead server
        // must show as an error at once, and the next probe builds a fresh connection.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectionName: 'vigil',
      });
      // An unheard 'error' event would crash the process; the last one explains a failed
      // connect better than ioredis' own "Connection is closed".
      let lastError: unknown;
      redis.on('error', (error: unknown) => {
        lastError = error;
      });
      const stopWatching = onAbort(signal, () => redis.disconnect());
      try {
        await redis.connect();
      } catch (error) {
        redis.disconnect();
        throw lastError ?? error;
      } finally {
        stopWatching();
      }
      return redis;
    },
    destroy: (redis) => redis.disconnect(),
    usable: (redis) => redis.status === 'ready',
  });

  return {
    kind: 'redis',
    async run(signal) {
      const phase = phasesOf('redis', signal, secrets);
      return probeOnClient(clients, signal, phase, async (redis) => {
        const started = performance.now();
        await phase('PING', () => redis.ping());
        const pingLatency = elapsedMs(started);
        const info = await phase('INFO', async () => redisDetails(parseInfo(await redis.info()), pingLatency));
        return { details: { ...info } };
      });
    },
    async reset() {
      clients.discard();
    },
    close: () => clients.close(),
  };
}
