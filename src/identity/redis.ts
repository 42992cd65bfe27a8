// The Redis client for sessions, built from a configured `redis` source (the same server the
// health checks watch): `url`, or `host`/`port`/`username`/`password`/`db`/`tls` options.
import { Redis, type RedisOptions } from 'ioredis';
import { optionalBoolean, optionalNumber, optionalString } from '../checks/options.ts';
import type { SourceDefinition } from '../checks/types.ts';

export function findRedisSource(sources: readonly SourceDefinition[], name: string): SourceDefinition {
  const source = sources.find((candidate) => candidate.name === name);
  if (!source) throw new Error(`auth.session.redisSource: no source named "${name}" is configured`);
  if (source.kind !== 'redis') throw new Error(`auth.session.redisSource: source "${name}" is a ${source.kind} source, not redis`);
  return source;
}

export function createSessionRedis(source: SourceDefinition): Redis {
  const common: RedisOptions = {
    connectTimeout: optionalNumber(source, 'connectTimeoutMs', 3_000),
    commandTimeout: optionalNumber(source, 'commandTimeoutMs', 3_000),
    // A request whose session lookup meets a dead server fails after one retry, never hangs.
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    connectionName: 'vigil-sessions',
  };
  const url = optionalString(source, 'url');
  if (url) return new Redis(url, common);
  return new Redis({
    ...common,
    host: optionalString(source, 'host') ?? '127.0.0.1',
    port: optionalNumber(source, 'port', 6379),
    username: optionalString(source, 'username'),
    password: optionalString(source, 'password'),
    db: optionalNumber(source, 'db', 0),
    tls: optionalBoolean(source, 'tls', false) ? {} : undefined,
  });
}
