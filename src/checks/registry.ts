// Source kind -> check factory and options schema. The only place that knows every kind.
import { consistencyOptions, createConsistencyCheck } from './consistency.ts';
import { elasticsearchOptions, createElasticsearchCheck } from './elasticsearch.ts';
import { filesystemOptions, createFilesystemCheck } from './filesystem.ts';
import { httpOptions, createHttpCheck } from './http.ts';
import { mysqlOptions, createMysqlCheck } from './mysql.ts';
import { natsOptions, createNatsCheck } from './nats.ts';
import { postgresOptions, createPostgresCheck } from './postgres.ts';
import { qdrantOptions, createQdrantCheck } from './qdrant.ts';
import { rabbitmqOptions, createRabbitmqCheck } from './rabbitmq.ts';
import { redisOptions, createRedisCheck } from './redis.ts';
import { resourcesOptions, createResourcesCheck } from './resources.ts';
import type { z } from 'zod';
import { CheckConfigError, SOURCE_KINDS, type Check, type SourceDefinition, type SourceKind } from './types.ts';

export type CheckFactory = (definition: SourceDefinition) => Check;

/** Each kind's factory builds a check of that kind, reporting that kind's details. */
const FACTORIES: { readonly [K in SourceKind]: (definition: SourceDefinition) => Check<K> } = {
  postgres: createPostgresCheck,
  mysql: createMysqlCheck,
  redis: createRedisCheck,
  rabbitmq: createRabbitmqCheck,
  elasticsearch: createElasticsearchCheck,
  nats: createNatsCheck,
  qdrant: createQdrantCheck,
  http: createHttpCheck,
  filesystem: createFilesystemCheck,
  resources: createResourcesCheck,
  consistency: createConsistencyCheck,
};

/** Each kind's options (the keys of a source besides the common ones), for the reference and editors. */
export const KIND_OPTIONS = {
  postgres: postgresOptions,
  mysql: mysqlOptions,
  redis: redisOptions,
  rabbitmq: rabbitmqOptions,
  elasticsearch: elasticsearchOptions,
  nats: natsOptions,
  qdrant: qdrantOptions,
  http: httpOptions,
  filesystem: filesystemOptions,
  resources: resourcesOptions,
  consistency: consistencyOptions,
} as const satisfies Readonly<Record<SourceKind, z.ZodObject>>;

function isSourceKind(kind: string): kind is SourceKind {
  return (SOURCE_KINDS as readonly string[]).includes(kind);
}

/** The check for `definition`; throws CheckConfigError for an unknown kind or bad options. */
export function createCheck(definition: SourceDefinition): Check {
  if (!isSourceKind(definition.kind)) {
    throw new CheckConfigError(
      `source "${definition.name}": unknown kind "${definition.kind}"; expected one of ${SOURCE_KINDS.join(', ')}`,
    );
  }
  return FACTORIES[definition.kind](definition);
}
