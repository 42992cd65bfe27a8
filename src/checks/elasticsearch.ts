// `elasticsearch`: cluster health through the official client.
// Mapping: green -> ok; yellow -> degraded (every primary shard is assigned, some replicas are
// not: searches work, redundancy is reduced); red -> error (a primary shard is unassigned, so
// some data is unavailable), reported with the shard counts.
import type { Client } from '@elastic/elasticsearch';
import type { ElasticsearchDetails } from './details.ts';
import { kindOptions, option, readOptions } from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { ProbeError, CheckConfigError, CheckFailure, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

const STATUSES = ['green', 'yellow', 'red'] as const;
type ClusterStatus = (typeof STATUSES)[number];
// The ESM entry point does not re-export the type.
type ClientOptions = ConstructorParameters<typeof Client>[0];

/** The client library (about 17 MiB resident) is loaded by the first probe, not by every Vigil. */
async function loadClient(): Promise<typeof Client> {
  return (await import('@elastic/elasticsearch')).Client;
}

export const elasticsearchOptions = kindOptions(
  'An Elasticsearch cluster\'s health through the official client: green is ok, yellow degraded (replicas unassigned), red error (a primary shard unassigned), reported with the shard counts.',
  {
    url: option.url(['http:', 'https:'], 'The cluster: an `http://` or `https://` URL; credentials in it are used as `username`/`password`.'),
    api_key: option.secret('API key (a secret: `{ env: NAME }` or `{ file: path }`); instead of `username`/`password`.'),
    username: option.string("User name; wins over the URL's."),
    password: option.secret("Password (a secret); wins over the URL's."),
    ca_file: option.fileText('Path of a PEM bundle of the certificate authorities to trust for https.'),
    tls_insecure: option.boolean(false, 'True skips verifying the server certificate (test clusters only).'),
  },
);

type ElasticsearchOptions = ReturnType<typeof readOptions<typeof elasticsearchOptions>>;

function authOf(def: SourceDefinition, read: ElasticsearchOptions): ClientOptions['auth'] {
  const url = read.url;
  const apiKey = read.api_key;
  const username = read.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = read.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (apiKey && (username || password)) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): set either "api_key" or "username"/"password", not both`);
  }
  if (apiKey) return { apiKey };
  if (username !== undefined || password !== undefined) return { username: username ?? '', password: password ?? '' };
  return undefined;
}

export function createElasticsearchCheck(def: SourceDefinition): Check<'elasticsearch'> {
  const read = readOptions(def, elasticsearchOptions);
  const url = read.url;
  const auth = authOf(def, read);
  const ca = read.ca_file;
  const insecure = read.tls_insecure;
  const node = new URL(url);
  node.username = '';
  node.password = '';
  const shownUrl = displayUrl(node.toString());
  const options: ClientOptions = {
    node: node.toString(),
    ...(auth ? { auth } : {}),
    // The engine owns retries and the deadline; the client's own timeout is only a backstop.
    maxRetries: 0,
    requestTimeout: def.timeoutMs + 1_000,
    ...(ca || insecure ? { tls: { ...(ca ? { ca } : {}), rejectUnauthorized: !insecure } } : {}),
  };
  let client: Client | undefined;

  function drop(): Promise<void> {
    const old = client;
    client = undefined;
    return old ? old.close() : Promise.resolve();
  }

  return {
    kind: 'elasticsearch',
    async run(signal): Promise<CheckOutcome<ElasticsearchDetails>> {
      if (!client) {
        const Client = await loadClient();
        client ??= new Client(options);
      }
      let health: Awaited<ReturnType<Client['cluster']['health']>>;
      try {
        health = await client.cluster.health({}, { signal });
      } catch (error) {
        throw new ProbeError({
          phase: 'cluster health',
          message: `elasticsearch: cluster health failed at ${shownUrl}`,
          detail: error instanceof Error ? error.message : String(error),
        });
      }
      const status = String(health.status).toLowerCase();
      if (!(STATUSES as readonly string[]).includes(status)) {
        throw new ProbeError({ phase: 'cluster health', message: `elasticsearch: cluster health at ${shownUrl} answered an unknown status "${status}"` });
      }
      const details = {
        cluster_name: health.cluster_name,
        cluster_status: status as ClusterStatus,
        number_of_nodes: health.number_of_nodes,
        active_shards: health.active_shards,
        unassigned_shards: health.unassigned_shards,
      } satisfies ElasticsearchDetails;
      if (status === 'red') {
        throw new CheckFailure(
          `elasticsearch: cluster "${health.cluster_name}" is red (${health.unassigned_shards} unassigned shards, primaries among them)`,
          details,
        );
      }
      if (status === 'yellow') {
        return {
          status: 'degraded',
          message: `elasticsearch: cluster "${health.cluster_name}" is yellow (${health.unassigned_shards} unassigned replica shards)`,
          details,
        };
      }
      return { details };
    },
    async reset() {
      // The aborted request already freed its socket; closing the old pool is left running.
      void drop().catch(() => undefined);
    },
    async close() {
      await drop();
    },
  };
}
