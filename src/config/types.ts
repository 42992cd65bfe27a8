// Vigil's configuration after loading (the `X` of each `XInput`/`X` pair): one YAML file
// (`--config` / VIGIL_CONFIG) plus environment overrides, validated once by the schema
// (schema.ts, whose sections map their keys onto these types), defaults merged once, secrets
// resolved from the environment or a file. Durations are milliseconds here (the YAML accepts
// "10s", "500ms"). The input side is `VigilConfigInput` / `ServerConfigInput` / ... in schema/.
import type { AlertsConfig } from '../alerts/types.ts';
import type { SourceDefinition } from '../checks/types.ts';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimitBytes: number;
  /** Express `trust proxy` setting; decides `req.ip` and whether cookies are Secure. */
  readonly trustProxy: boolean;
  /**
   * On SIGTERM, how long /readyz answers 503 while everything else is still served, so load
   * balancers stop sending before the listener closes.
   */
  readonly shutdownDelayMs: number;
  /** After the listener closes, how long in-flight requests get before sockets are destroyed. */
  readonly shutdownGraceMs: number;
  /** A client must send all request headers within this (Node's headersTimeout). */
  readonly headersTimeoutMs: number;
  /** A client must send the whole request, body included, within this (Node's requestTimeout). */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (Node's keepAliveTimeout). */
  readonly keepAliveTimeoutMs: number;
  /** A connection with no traffic either way for this long is destroyed (a stalled reader). */
  readonly idleTimeoutMs: number;
  /** Open connections for ordinary traffic; beyond it only probe connections are admitted. */
  readonly maxConnections: number;
  /** Connections admitted beyond maxConnections for /livez and /readyz only. */
  readonly probeConnections: number;
}

export interface StoreConfig {
  /** PostgreSQL URL for Vigil's own data; absent means the embedded PGlite store. */
  readonly url: string | undefined;
  /** Where the embedded store keeps its files. */
  readonly dataDir: string;
  /** The embedded store's WebAssembly may be recompiled by V8's optimising compiler (more memory). */
  readonly embeddedTierUp: boolean;
  /** Replicas sharing one PostgreSQL store (only with `url`; see src/coordination/). */
  readonly coordination: CoordinationConfig;
}

export interface CoordinationConfig {
  /** Default true: with `store.url`, replicas share the probe schedule and the view. */
  readonly enabled: boolean;
  /** How long a replica's lease on a source lasts unless renewed (every third of it). */
  readonly leaseTtlMs: number;
}

export interface JwtConfig {
  /** HS256 shared secret; exactly one of `secret` and `jwksUrl` is set. */
  readonly secret: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** Claim that holds the Vigil role (viewer/operator/admin/owner). */
  readonly roleClaim: string;
  /** Longest lifetime (`exp` - `iat`) a token may have; longer ones are refused. */
  readonly maxLifetimeMs: number;
  /** How far `iat` may lie in the future (clock skew between issuer and Vigil). */
  readonly clockSkewMs: number;
}

export interface AuthConfig {
  readonly jwt: JwtConfig | undefined;
  /** Hasura-style admin secret for X-Hasura-Admin-Secret; absent disables that scheme. */
  readonly hasuraAdminSecret: string | undefined;
  readonly session: {
    readonly ttlMs: number;
    readonly idleTimeoutMs: number;
    /** Name of a `redis` source whose server keeps sessions; absent keeps them in the store. */
    readonly redisSource: string | undefined;
  };
  /**
   * Failed attempts from one client address (`maxFailures`) or against one account
   * (`maxAccountFailures`) within `windowMs` before that address or account is throttled.
   */
  readonly throttle: { readonly maxFailures: number; readonly maxAccountFailures: number; readonly windowMs: number };
  /** Longest wait on the store, the session Redis or a JWKS URL while a request is authenticated. */
  readonly storeTimeoutMs: number;
  /** How long a verified API key or session may still be accepted while the store cannot answer (0: never). */
  readonly credentialCacheTtlMs: number;
  /**
   * How long an API key the store verified is accepted again without reading the store, while
   * revocations are heard (0: read the store on every request).
   */
  readonly credentialReuseMs: number;
}

export interface EngineConfig {
  /** Probes running at once, at most; the rest wait their turn (late, never a `timeout`). */
  readonly maxConcurrentProbes: number;
}

/**
 * Which sources each documented API family reports, by source name. The families' own
 * sections are parsed by their modules; the loader keeps them as plain data here.
 */
export type FamiliesConfig = Readonly<Record<string, unknown>>;

export interface VigilConfig {
  readonly server: ServerConfig;
  readonly store: StoreConfig;
  readonly auth: AuthConfig;
  readonly engine: EngineConfig;
  readonly sources: readonly SourceDefinition[];
  /**
   * Sources the loader could not accept (unknown kind, unparseable URL, missing secret):
   * they are reported as `failed` with `reason`, and everything else still starts.
   */
  readonly invalidSources: readonly { readonly definition: SourceDefinition; readonly reason: string }[];
  readonly families: FamiliesConfig;
  readonly history: HistoryConfig;
  readonly statusPage: StatusPageConfig;
  /** `alerts`: notifiers, which sources alert whom after which thresholds, maintenance windows. */
  readonly alerts: AlertsConfig;
  readonly log: LogConfig;
}

/** `history`: what Vigil keeps of each source's runs in its store. */
export interface HistoryConfig {
  /** Run buckets older than this are deleted (status changes are kept at least 90 days). */
  readonly retentionMs: number;
  /** Results are written to the store in one batch this often. */
  readonly flushIntervalMs: number;
  /** Longest a request waits on the store for history before it answers 503. */
  readonly readTimeoutMs: number;
}

/** `status_page`: the page at /status and the badges. */
export interface StatusPageConfig {
  readonly title: string;
  /** false: the page and badges need a credential (viewer, or an API key with history:read). */
  readonly public: boolean;
  readonly refreshMs: number;
  /** Empty: one group, "Services", with every source under its own name. */
  readonly groups: readonly { readonly name: string; readonly sources: readonly { readonly source: string; readonly displayName: string }[] }[];
}

export interface LogConfig {
  /** One of LOG_LEVELS (schema/log.ts). */
  readonly level: string;
  /** Successful answers of the public probe endpoints at info (true) or debug (false). */
  readonly probeRequests: boolean;
}
