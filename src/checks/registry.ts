// Source kind -> check factory. The only place that knows every kind.
import { createConsistencyCheck } from './consistency.ts';
import { createElasticsearchCheck } from './elasticsearch.ts';
import { createFilesystemCheck } from './filesystem.ts';
import { createHttpCheck } from './http.ts';
import { createMysqlCheck } from './mysql.ts';
import { createNatsCheck } from './nats.ts';
import { createPostgresCheck } from './postgres.ts';
import { createQdrantCheck } from './qdrant.ts';
import { createRabbitmqCheck } from './rabbitmq.ts';
import { createRedisCheck } from './redis.ts';
import { createResourcesCheck } from './resources.ts';
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
