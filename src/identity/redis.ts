// The Redis client for sessions, built from a configured `redis` source (the same server the
// health checks watch), read by the Redis check's own option reader.
import { Redis } from 'ioredis';
import { readRedisOptions } from '../checks/redis.ts';
import type { SourceDefinition } from '../checks/types.ts';

export function findRedisSource(sources: readonly SourceDefinition[], name: string): SourceDefinition {
  const source = sources.find((candidate) => candidate.name === name);
  if (!source) throw new Error(`auth.session.redisSource: no source named "${name}" is configured`);
  if (source.kind !== 'redis') throw new Error(`auth.session.redisSource: source "${name}" is a ${source.kind} source, not redis`);
  return source;
}

export function createSessionRedis(source: SourceDefinition): Redis {
  const { options, connectTimeoutMs, commandTimeoutMs } = readRedisOptions(source);
  return new Redis({
    ...options,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    // A request whose session lookup meets a dead server fails after one retry, never hangs.
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    connectionName: 'vigil-sessions',
  });
}
