// 003 `GET /health/status`: the engine's snapshot as the document's body. Pure functions; the
// schema reconstruction they implement is written in openapi/paths/status.yaml.
import type { NatsDetails } from '../checks/details.ts';
import { detailsOf, type CheckStatus } from '../checks/types.ts';
import type { SourceState } from '../engine/types.ts';
import type { ComponentHealth, SystemStatus } from '../../generated/types.gen.ts';
import { componentStatus, statusHttpCode, statusOverall } from './status-rules.ts';

const SECOND_MS = 1000;

/**
 * Go's `time.Duration.String()` of `ms` truncated to whole seconds, with the trailing zero
 * units dropped as the document's example shows (`2h30m`, not Go's `2h30m0s`). Every result
 * still parses with Go's `time.ParseDuration`; negative input (a clock step) reads `0s`.
 */
export function formatGoDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / SECOND_MS) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  let text: string;
  if (hours > 0) text = `${hours}h${minutes}m${seconds}s`;
  else if (minutes > 0) text = `${minutes}m${seconds}s`;
  else text = `${seconds}s`;
  if (text.endsWith('m0s')) text = text.slice(0, -2);
  if (text.endsWith('h0m')) text = text.slice(0, -2);
  return text;
}

/** Said when a result carries no message of its own (checks normally give one). */
const FALLBACK_REASON: Readonly<Record<Exclude<CheckStatus, 'ok'>, string>> = {
  degraded: 'degraded',
  error: 'check failed',
  timeout: 'check timed out',
  failed: 'cannot be checked as configured',
};

/** One source as a document component. */
export function componentHealth(state: SourceState): ComponentHealth {
  const latest = state.latest;
  if (!latest) return { status: 'unknown', error: 'not checked yet' };
  if (latest.status === 'ok') return { status: 'ok' };
  return { status: componentStatus(latest.status), error: latest.error ?? FALLBACK_REASON[latest.status] };
}

function isCount(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

const JOB_COUNTS = ['total', 'unprocessed', 'processing', 'completed', 'failed', 'dlq'] as const;

/**
 * The NATS check's details, or undefined when the result carries none, or figures outside the
 * contract (the response schema is closed and strict: a bad figure would make it a 500).
 */
export function natsDetailsOf(state: SourceState | undefined): NatsDetails | undefined {
  const details = detailsOf(state?.latest, 'nats');
  if (!details || !Array.isArray(details.streams) || !Array.isArray(details.kv_buckets)) return undefined;
  const streamsOk = details.streams.every((s) => isCount(s.messages) && isCount(s.bytes) && isCount(s.consumers));
  const bucketsOk = details.kv_buckets.every((b) => isCount(b.keys) && isCount(b.bytes));
  const jobsOk = details.jobs === undefined || JOB_COUNTS.every((key) => isCount(details.jobs?.[key] ?? -1));
  return streamsOk && bucketsOk && jobsOk ? details : undefined;
}

type NatsSection = Pick<SystemStatus, 'nats' | 'streams' | 'kv_buckets' | 'jobs'>;

/** `nats`, `streams`, `kv_buckets`, `jobs` from the last measurement; nothing when there is none. */
export function natsSection(state: SourceState | undefined): NatsSection {
  const details = natsDetailsOf(state);
  if (!details) return {};
  const { jobs } = details;
  return {
    nats: { url: details.server_url, version: details.server_version },
    // Copied field by field: the response schema is closed, the check may report more.
    streams: details.streams.map(({ name, messages, bytes, consumers }) => ({ name, messages, bytes, consumers })),
    kv_buckets: details.kv_buckets.map(({ name, keys, bytes }) => ({ name, keys, bytes })),
    ...(jobs
      ? {
          jobs: {
            total: jobs.total,
            unprocessed: jobs.unprocessed,
            processing: jobs.processing,
            completed: jobs.completed,
            failed: jobs.failed,
            dlq: jobs.dlq,
          },
        }
      : {}),
  };
}

export interface StatusInput {
  /** The sources listed as components, in configuration order. */
  readonly components: readonly SourceState[];
  /** The NATS source whose details fill `nats`, `streams`, `kv_buckets` and `jobs`. */
  readonly nats: SourceState | undefined;
  readonly version: string;
  readonly uptimeMs: number;
}

export interface RenderedStatus {
  readonly httpStatus: 200 | 503;
  readonly body: SystemStatus;
}

export function renderStatus(input: StatusInput): RenderedStatus {
  // fromEntries defines own properties, so even a source named `__proto__` is just a key.
  const components: Record<string, ComponentHealth> = Object.fromEntries(
    input.components.map((state) => [state.definition.name, componentHealth(state)]),
  );
  const status = statusOverall(Object.values(components).map((c) => c.status));
  return {
    httpStatus: statusHttpCode(status),
    body: {
      status,
      components,
      version: input.version,
      uptime: formatGoDuration(input.uptimeMs),
      ...natsSection(input.nats),
    },
  };
}
