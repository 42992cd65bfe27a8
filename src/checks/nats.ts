// NATS with JetStream: one long-lived connection per source; each probe reports the server's
// URL and version, JetStream streams (messages, bytes, consumers), KV buckets (keys, bytes)
// and, when configured, job records in a KV bucket counted by status plus a dead-letter stream.
// A configured stream, bucket or DLQ that does not exist makes the source `degraded`.
import { JetStreamApiError, jetstreamManager, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import net from 'node:net';
import type { JobCounts, KvBucketDetails, NatsDetails, StreamDetails } from './details.ts';
import { connectionAgeOption, createLazyClient, probeOnClient } from './lazy-client.ts';
import { kindOptions, option, readOptions } from './options.ts';
import { backstopMs, phasesOf } from './probe.ts';
import { ProbeError, CheckConfigError, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

const STREAM_NOT_FOUND = 10059;
/** Streams that back KV buckets and object stores: reported as buckets, not as streams. */
const INTERNAL_STREAM = /^(KV|OBJ)_/;

type JobState = 'unprocessed' | 'processing' | 'completed' | 'failed';

/** Status values of a job record (case-insensitive) and the count each one feeds. */
export const JOB_STATES: Readonly<Record<string, JobState>> = {
  unprocessed: 'unprocessed',
  pending: 'unprocessed',
  queued: 'unprocessed',
  processing: 'processing',
  running: 'processing',
  completed: 'completed',
  done: 'completed',
  failed: 'failed',
  error: 'failed',
};

interface JobsSettings {
  readonly bucket: string;
  readonly statusField: string;
  readonly dlqStream: string | undefined;
}

interface NatsSettings {
  /** Server URLs without credentials. */
  readonly servers: readonly string[];
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly token: string | undefined;
  readonly secrets: readonly string[];
  /** Empty: every stream (except those backing KV buckets and object stores). */
  readonly streams: readonly string[];
  /** Empty: every KV bucket. */
  readonly kvBuckets: readonly string[];
  readonly jobs: JobsSettings | undefined;
  /** `max_connection_age`, in milliseconds. */
  readonly maxConnectionAgeMs: number;
}

interface NatsClient {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly kvm: Kvm;
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export const natsOptions = kindOptions(
  'A NATS server with JetStream: the server URL and version, each listed stream and KV bucket, and job counts by status from a KV bucket (plus a dead-letter stream).',
  {
    url: option.string('The server: `nats://` or `tls://` URL, several separated by commas; a user and password, or a token, may be in it. Either `url` or `servers`.'),
    servers: option.stringList('The servers, one URL each, instead of `url`.'),
    token: option.secret('Token (a secret: `{ env: NAME }` or `{ file: path }`); instead of `user`/`password`.'),
    user: option.string("User name; wins over the URL's."),
    password: option.secret("Password (a secret); wins over the URL's."),
    streams: option.stringList('JetStream streams to report (messages, bytes, consumers); default every stream. A missing one makes the source degraded.'),
    kv_buckets: option.stringList('KV buckets to report (keys, bytes); default every bucket. A missing one makes the source degraded.'),
    jobs: option.section(
      {
        bucket: option.requiredString('The KV bucket holding one entry per job.'),
        status_field: option.string("The field of each entry's JSON that holds the job's status (default `status`)."),
        dlq_stream: option.string('A dead-letter stream whose message count is reported as failed jobs.'),
      },
      'Job counts by status, read from a KV bucket.',
    ),
    ...connectionAgeOption,
  },
);

function readNatsSettings(def: SourceDefinition): NatsSettings {
  const where = `source "${def.name}" (nats)`;
  const read = readOptions(def, natsOptions);
  const url = read.url;
  const listed = read.servers;
  if (url !== undefined && listed.length > 0) throw new CheckConfigError(`${where}: set either option "url" or option "servers", not both`);
  const raw = url !== undefined ? url.split(',').map((part) => part.trim()).filter(Boolean) : listed;
  if (raw.length === 0) throw new CheckConfigError(`${where}: option "url" (or "servers") must be set`);

  let urlUser: string | undefined;
  let urlPassword: string | undefined;
  const servers = raw.map((text) => {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new CheckConfigError(`${where}: option "${url !== undefined ? 'url' : 'servers'}" must hold valid URLs (nats://host:4222)`);
    }
    if (parsed.protocol !== 'nats:' && parsed.protocol !== 'tls:') {
      throw new CheckConfigError(`${where}: option "${url !== undefined ? 'url' : 'servers'}" must hold URLs starting with nats:// or tls://`);
    }
    if (parsed.username) urlUser ??= decoded(parsed.username);
    if (parsed.password) urlPassword ??= decoded(parsed.password);
    return `${parsed.protocol}//${parsed.host}`;
  });

  // nats://user:pass@host carries a user and password; nats://token@host a token.
  const token = read.token ?? (urlPassword === undefined ? urlUser : undefined);
  const user = read.user ?? (urlPassword !== undefined ? urlUser : undefined);
  const password = read.password ?? urlPassword;
  if (token !== undefined && (user !== undefined || password !== undefined)) {
    throw new CheckConfigError(`${where}: set either option "token" or options "user"/"password", not both`);
  }

  const jobs = read.jobs ? { bucket: read.jobs.bucket, statusField: read.jobs.status_field ?? 'status', dlqStream: read.jobs.dlq_stream } : undefined;

  const secrets = [password, token].flatMap((secret) => (secret ? [secret, encodeURIComponent(secret)] : []));
  return {
    servers,
    user,
    password,
    token,
    secrets,
    streams: read.streams,
    kvBuckets: read.kv_buckets,
    jobs,
    maxConnectionAgeMs: read.max_connection_age,
  };
}

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND;
}

function streamDetails(info: StreamInfo): StreamDetails {
  return { name: info.config.name, messages: info.state.messages, bytes: info.state.bytes, consumers: info.state.consumer_count };
}

/** How many keys' latest entries one probe reads at once. */
const KEY_READS_IN_FLIGHT = 16;

/**
 * The latest entry of every key in bucket `name` (deleted and purged keys included, as their
 * markers), read without creating a consumer: the bucket stream's info lists its subjects
 * (`subjects_filter`), then each key's last message is fetched (a direct or last-by-subject
 * get). `kv.keys()` and `kv.watch()` would each leave an ordered consumer on the stream for
 * its inactivity threshold (5 minutes), one per probe.
 */
async function latestEntries(jsm: JetStreamManager, kv: KV, name: string, signal: AbortSignal): Promise<KvEntry[]> {
  const prefix = `$KV.${name}.`;
  const info = await jsm.streams.info(`KV_${name}`, { subjects_filter: `${prefix}>` });
  const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  const entries: KvEntry[] = [];
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < keys.length) {
      signal.throwIfAborted();
      const key = keys[next++] as string;
      const entry = await kv.get(key);
      // Removed between the listing and the read (a rollup or the bucket's TTL): gone.
      if (entry) entries.push(entry);
    }
  };
  await Promise.all(Array.from({ length: Math.min(KEY_READS_IN_FLIGHT, keys.length) }, reader));
  return entries;
}

/** Keys currently in bucket `name`: deleted and purged keys excluded. */
async function liveKeys(jsm: JetStreamManager, kv: KV, name: string, signal: AbortSignal): Promise<number> {
  return (await latestEntries(jsm, kv, name, signal)).filter((entry) => entry.operation === 'PUT').length;
}

async function bucketDetails(jsm: JetStreamManager, name: string, kv: KV, signal: AbortSignal): Promise<KvBucketDetails> {
  const status = await kv.status();
  return { name, keys: status.values === 0 ? 0 : await liveKeys(jsm, kv, name, signal), bytes: status.size };
}

/** The status a job record holds: a JSON object's `field`, a JSON string, or the plain text. */
function jobStatus(entry: KvEntry, field: string): string {
  const text = entry.string();
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'string') return value;
    if (value !== null && typeof value === 'object') return String((value as Record<string, unknown>)[field] ?? '');
    return String(value);
  } catch {
    return text.trim();
  }
}

/** Counts the latest value of every key in bucket `name` by job status. */
async function countJobs(jsm: JetStreamManager, kv: KV, name: string, statusField: string, signal: AbortSignal): Promise<Omit<JobCounts, 'dlq'>> {
  const counts = { total: 0, unprocessed: 0, processing: 0, completed: 0, failed: 0 };
  const status = await kv.status();
  if (status.values === 0) return counts;
  for (const entry of await latestEntries(jsm, kv, name, signal)) {
    if (entry.operation !== 'PUT') continue;
    counts.total += 1;
    const state = JOB_STATES[jobStatus(entry, statusField).toLowerCase()];
    if (state) counts[state] += 1;
  }
  return counts;
}

/**
 * Resolves once `server` greets with its INFO line on a socket of our own, closed right after.
 * nats.js never destroys its socket when a server accepts but never greets (its connect
 * timeout leaves it open for good), so a server is only handed to it once it has answered.
 */
export function awaitGreeting(server: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 4222;
  if (signal.aborted) return Promise.reject(new Error('connect aborted'));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbortSignal);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbortSignal = (): void => finish(new Error('connect aborted'));
    const timer = setTimeout(() => finish(new Error(`no greeting from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    signal.addEventListener('abort', onAbortSignal, { once: true });
    socket.once('data', (chunk: Buffer) => finish(chunk.toString('latin1').startsWith('INFO') ? undefined : new Error(`${host}:${port} is not a NATS server`)));
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection`)));
  });
}

export function createNatsCheck(def: SourceDefinition): Check<'nats'> {
  const settings = readNatsSettings(def);
  const scheme = settings.servers[0]?.startsWith('tls:') ? 'tls:' : 'nats:';
  const backstop = backstopMs(def.timeoutMs);

  const clients = createLazyClient<NatsClient>({
    maxAgeMs: settings.maxConnectionAgeMs,
    create: async (signal) => {
      const greeted = await Promise.allSettled(settings.servers.map((server) => awaitGreeting(server, backstop, signal)));
      const servers = settings.servers.filter((_server, index) => greeted[index]?.status === 'fulfilled');
      if (servers.length === 0) throw (greeted[0] as PromiseRejectedResult).reason;
      const nc = await connect({
        servers,
        noRandomize: true,
        ...(settings.user !== undefined ? { user: settings.user } : {}),
        ...(settings.password !== undefined ? { pass: settings.password } : {}),
        ...(settings.token !== undefined ? { token: settings.token } : {}),
        name: 'vigil',
        timeout: backstop,
        // A lost connection is rebuilt by the next probe, which then reports the outage
        // instead of waiting on the client's own reconnect loop.
        reconnect: false,
      });
      const jsm = await jetstreamManager(nc, { timeout: backstop, checkAPI: false });
      return { nc, jsm, kvm: new Kvm(jsm.jetstream()) };
    },
    destroy: ({ nc }) => nc.close(),
    usable: ({ nc }) => !nc.isClosed() && !nc.isDraining(),
  });

  async function jetstreamEnabled(jsm: JetStreamManager): Promise<boolean> {
    try {
      await jsm.getAccountInfo();
      return true;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'JetStreamNotEnabled') return false;
      throw error;
    }
  }

  async function listStreams(jsm: JetStreamManager, missing: string[]): Promise<StreamDetails[]> {
    if (settings.streams.length === 0) {
      const all: StreamDetails[] = [];
      for await (const info of jsm.streams.list()) {
        if (!INTERNAL_STREAM.test(info.config.name)) all.push(streamDetails(info));
      }
      return all.sort((a, b) => a.name.localeCompare(b.name));
    }
    const found: StreamDetails[] = [];
    for (const name of settings.streams) {
      try {
        found.push(streamDetails(await jsm.streams.info(name)));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        missing.push(`stream "${name}"`);
      }
    }
    return found;
  }

  async function listBuckets(client: NatsClient, missing: string[], signal: AbortSignal): Promise<KvBucketDetails[]> {
    if (settings.kvBuckets.length === 0) {
      const all: KvBucketDetails[] = [];
      const names: string[] = [];
      for await (const status of client.kvm.list()) names.push(status.bucket);
      for (const name of names) {
        try {
          all.push(await bucketDetails(client.jsm, name, await client.kvm.open(name), signal));
        } catch (error) {
          // Deleted between listing and reading: it is simply gone.
          if (!isNotFound(error)) throw error;
        }
      }
      return all.sort((a, b) => a.name.localeCompare(b.name));
    }
    const found: KvBucketDetails[] = [];
    for (const name of settings.kvBuckets) {
      try {
        found.push(await bucketDetails(client.jsm, name, await client.kvm.open(name), signal));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        missing.push(`KV bucket "${name}"`);
      }
    }
    return found;
  }

  async function jobCounts(client: NatsClient, jobs: JobsSettings, missing: string[], signal: AbortSignal): Promise<JobCounts | undefined> {
    let counts: Omit<JobCounts, 'dlq'>;
    try {
      counts = await countJobs(client.jsm, await client.kvm.open(jobs.bucket), jobs.bucket, jobs.statusField, signal);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      missing.push(`jobs KV bucket "${jobs.bucket}"`);
      return undefined;
    }
    let dlq = 0;
    if (jobs.dlqStream !== undefined) {
      try {
        dlq = (await client.jsm.streams.info(jobs.dlqStream)).state.messages;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        missing.push(`dead-letter stream "${jobs.dlqStream}"`);
      }
    }
    return { ...counts, dlq };
  }

  return {
    kind: 'nats',
    async run(signal): Promise<CheckOutcome<NatsDetails>> {
      const phase = phasesOf('nats', signal, settings.secrets);
      return probeOnClient(clients, signal, phase, async (client) => {
        const jetstream = await phase('JetStream', () => jetstreamEnabled(client.jsm));
        const wantsJetStream = settings.streams.length > 0 || settings.kvBuckets.length > 0 || settings.jobs !== undefined;
        if (!jetstream && wantsJetStream) throw new ProbeError({ phase: 'JetStream', message: 'nats: JetStream failed', detail: 'not enabled on the server' });

        const missing: string[] = [];
        const streams = jetstream ? await phase('streams', () => listStreams(client.jsm, missing)) : [];
        const kvBuckets = jetstream ? await phase('KV buckets', () => listBuckets(client, missing, signal)) : [];
        const jobs = settings.jobs && (await phase('jobs', () => jobCounts(client, settings.jobs!, missing, signal)));

        const details: NatsDetails = {
          server_url: `${scheme}//${client.nc.getServer()}`,
          server_version: client.nc.info?.version ?? '',
          jetstream,
          streams,
          kv_buckets: kvBuckets,
          ...(jobs ? { jobs } : {}),
        };
        if (missing.length === 0) return { details: { ...details } };
        return { status: 'degraded', message: `nats: not found: ${missing.join(', ')}`, details: { ...details } };
      });
    },
    async reset() {
      clients.discard();
    },
    close: () => clients.close(),
  };
}
