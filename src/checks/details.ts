// The `details` each kind of check reports on success. Renderers read these to fill the
// documented response fields, so every figure here is measured, never a constant.
// Field names are snake_case because several of them surface unchanged in responses.
import type { AppMigrationStatus } from './app-migrations.ts';
import type { ConsistencyDetails } from './consistency.ts';

export interface PoolStatistics {
  /** Configured maximum number of connections. */
  readonly size: number;
  /** Connections currently open (idle + in use). */
  readonly total: number;
  /** Idle connections ready in the pool ("checked in"). */
  readonly checked_in: number;
  /** Connections lent out to callers ("checked out"). */
  readonly checked_out: number;
  /** Callers waiting for a connection beyond the pool size ("overflow"). */
  readonly waiting: number;
}

export interface SqlDetails {
  readonly server_version: string;
  /** Latency of the test query alone, in milliseconds (fractional). */
  readonly query_latency_ms: number;
  readonly pool: PoolStatistics;
  /**
   * The first row the test query returned (values as the driver gives them, bigint-like
   * values as numbers), or null when it returned none. Lets a source such as
   * `SELECT count(*) AS count FROM identities` feed a measured figure to a renderer.
   */
  readonly first_row: Readonly<Record<string, unknown>> | null;
  /** The watched application's migrations (postgres option `migrations`); absent without it. */
  readonly migrations?: AppMigrationStatus;
}

export interface RedisDetails {
  readonly server_version: string;
  readonly ping_latency_ms: number;
  readonly memory_usage_bytes: number;
  readonly total_keys: number;
  readonly connected_clients: number;
  readonly uptime_seconds: number;
  readonly evicted_keys: number;
  /** keyspace_hits / (hits + misses) as a percentage, 0 when nothing was looked up yet. */
  readonly hit_rate: number;
  readonly total_commands_processed: number;
}

export interface RabbitQueueDetails {
  readonly name: string;
  readonly exists: boolean;
  readonly messages: number | null;
  readonly consumers: number | null;
}

export interface RabbitDetails {
  readonly server_product: string;
  readonly server_version: string;
  readonly queues: readonly RabbitQueueDetails[];
}

export interface ElasticsearchDetails {
  readonly cluster_name: string;
  /** green -> ok, yellow -> degraded, red -> error (thrown). */
  readonly cluster_status: 'green' | 'yellow' | 'red';
  readonly number_of_nodes: number;
  readonly active_shards: number;
  readonly unassigned_shards: number;
}

export interface StreamDetails {
  readonly name: string;
  readonly messages: number;
  readonly bytes: number;
  readonly consumers: number;
}

export interface KvBucketDetails {
  readonly name: string;
  readonly keys: number;
  readonly bytes: number;
}

export interface JobCounts {
  readonly total: number;
  readonly unprocessed: number;
  readonly processing: number;
  readonly completed: number;
  readonly failed: number;
  readonly dlq: number;
}

export interface NatsDetails {
  /** The server URL the client is connected to, credentials removed. */
  readonly server_url: string;
  readonly server_version: string;
  readonly jetstream: boolean;
  readonly streams: readonly StreamDetails[];
  readonly kv_buckets: readonly KvBucketDetails[];
  /** Present when the source configures `jobs` (a KV bucket of job records and a DLQ stream). */
  readonly jobs?: JobCounts;
}

export interface QdrantDetails {
  readonly ready: boolean;
  readonly collections_count: number;
  readonly version: string | null;
}

export interface HttpDetails {
  /** The probed URL, credentials and query string removed. */
  readonly url: string;
  readonly status_code: number;
  /** Days until the TLS certificate expires; null over plain HTTP. */
  readonly certificate_days_left: number | null;
  /** The parsed JSON body when the response is JSON and small enough; else absent. */
  readonly json?: unknown;
}

export interface FilesystemDetails {
  readonly path: string;
  readonly directory_exists: boolean;
  /** Files directly in `path` matching the configured pattern. */
  readonly files_count: number;
  /** Named entries (e.g. processors) that must exist below `path`: name -> present. */
  readonly entries: Readonly<Record<string, boolean>>;
  /** SHA-256 manifest verification; null when no manifest is configured. */
  readonly integrity: { readonly matched: number; readonly total: number; readonly ok: boolean } | null;
  /** Executables looked up on PATH (e.g. ffmpeg): name -> found. */
  readonly executables: Readonly<Record<string, boolean>>;
}

export interface ResourcesDetails {
  readonly cpu_used_percent: number;
  readonly memory_available_mb: number;
  readonly memory_used_percent: number;
}

/** Each kind's details: a result of kind K carries `DetailsByKind[K]` (see `CheckResult`). */
export interface DetailsByKind {
  readonly postgres: SqlDetails;
  readonly mysql: SqlDetails;
  readonly redis: RedisDetails;
  readonly rabbitmq: RabbitDetails;
  readonly elasticsearch: ElasticsearchDetails;
  readonly nats: NatsDetails;
  readonly qdrant: QdrantDetails;
  readonly http: HttpDetails;
  readonly filesystem: FilesystemDetails;
  readonly resources: ResourcesDetails;
  readonly consistency: ConsistencyDetails;
}
