// Kubernetes-style /livez and /readyz bodies and the Prometheus text exposition of /metrics.
// Pure functions from the engine's snapshot; decisions are written in openapi/paths/probes.yaml.
import type { CoordinationStatus } from '../coordination/types.ts';
import type { SourceState } from '../engine/types.ts';
import { hasAnswered, PROBE_PASSED, probeHttpCode } from './status-rules.ts';

export interface ProbeCheck {
  readonly name: string;
  readonly ok: boolean;
}

export interface ProbeOptions {
  readonly verbose: boolean;
  /** Check names to skip (`?exclude=`), as Kubernetes allows. */
  readonly exclude: readonly string[];
}

export interface RenderedProbe {
  readonly httpStatus: 200 | 503;
  readonly text: string;
}

/** Liveness never looks at a dependency: if this code runs, the process serves. */
export function livenessChecks(): readonly ProbeCheck[] {
  return [{ name: 'ping', ok: true }];
}

/**
 * Readiness: `shutdown` first, then each critical source (failing, or not checked yet, is not
 * ready; degraded answers and is ready). Non-critical sources never gate traffic.
 */
export function readinessChecks(
  states: readonly SourceState[],
  shuttingDown: boolean,
  /** With replicas on one store: whether this replica reaches it (a `store` check). */
  storeReachable?: boolean,
): readonly ProbeCheck[] {
  return [
    { name: 'shutdown', ok: !shuttingDown },
    ...(storeReachable === undefined ? [] : [{ name: 'store', ok: storeReachable }]),
    ...states
      .filter((state) => state.definition.critical)
      .map((state) => ({
        name: state.definition.name,
        ok: hasAnswered(state.latest?.status),
      })),
  ];
}

/** A name on one line: a check name must not be able to forge another line of the report. */
function oneLine(name: string): string {
  return name.replace(/[\r\n]+/g, ' ');
}

/**
 * Kubernetes' healthz body: `ok` when everything passes and nothing verbose was asked; else
 * one `[+]name ok` / `[-]name failed: reason withheld` line per check and a closing line.
 */
export function renderProbe(probe: 'livez' | 'readyz', checks: readonly ProbeCheck[], options: ProbeOptions): RenderedProbe {
  const excluded = new Set(options.exclude);
  const kept = checks.filter((check) => !excluded.has(check.name));
  const unmatched = [...excluded].filter((name) => !checks.some((check) => check.name === name));
  const passed = kept.every((check) => check.ok);
  const httpStatus = probeHttpCode(passed);
  if (passed && !options.verbose) return { httpStatus, text: PROBE_PASSED };
  const lines = kept.map((check) =>
    check.ok ? `[+]${oneLine(check.name)} ok` : `[-]${oneLine(check.name)} failed: reason withheld`,
  );
  if (unmatched.length > 0) {
    lines.push(`warn: some health checks cannot be excluded: no matches for ${unmatched.map((n) => `"${oneLine(n)}"`).join(',')}`);
  }
  lines.push(`${probe} check ${passed ? 'passed' : 'failed'}`);
  return { httpStatus, text: `${lines.join('\n')}\n` };
}

// --- Prometheus text format 0.0.4 -------------------------------------------------------

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The one-hot `status` label values of vigil_source_status; `unknown` = not checked yet. */
export const METRIC_STATUSES = ['ok', 'degraded', 'error', 'timeout', 'failed', 'unknown'] as const;

/** A label value as the format requires: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: Go's ParseFloat spellings for the special values. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labels(pairs: Readonly<Record<string, string>>): string {
  const body = Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
    .join(',');
  return body ? `{${body}}` : '';
}

interface Family {
  readonly name: string;
  readonly help: string;
  /** Default gauge. */
  readonly type?: 'gauge' | 'counter';
  readonly samples: readonly { readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}

function renderFamily(family: Family): string {
  const head = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type ?? 'gauge'}`];
  return [...head, ...family.samples.map((s) => `${family.name}${labels(s.labels)} ${formatSampleValue(s.value)}`)].join('\n');
}

export interface MetricsInput {
  readonly states: readonly SourceState[];
  readonly version: string;
  readonly gitHash: string;
  readonly uptimeMs: number;
  /** When given, each checked source's result age is reported (vigil_source_result_age_seconds). */
  readonly nowMs?: number;
  /** Replicas on one store: who owns which source, lease changes, store reachability. */
  readonly coordination?: CoordinationStatus;
}

type SourceLabels = (state: SourceState) => Readonly<Record<string, string>>;

/** The families that describe replica coordination; leases exist only for shared sources. */
function coordinationFamilies(states: readonly SourceState[], coordination: CoordinationStatus, sourceLabels: SourceLabels): Family[] {
  const shared = states.filter((state) => !coordination.isLocal(state.definition.name));
  const owned = new Set(coordination.owned());
  const owners = coordination.owners();
  const changes = coordination.leaseChanges();
  return [
    {
      name: 'vigil_replica_info',
      help: 'This replica of Vigil on the shared store; always 1.',
      samples: [{ labels: { replica: coordination.replicaId }, value: 1 }],
    },
    {
      name: 'vigil_store_reachable',
      help: 'Whether this replica reaches the shared store (1) or serves its last snapshot (0).',
      samples: [{ labels: {}, value: coordination.storeReachable() ? 1 : 0 }],
    },
    {
      name: 'vigil_source_lease_owned',
      help: 'Whether this replica holds the lease of the source, so probes it (1) or not (0).',
      samples: shared.map((state) => ({ labels: sourceLabels(state), value: owned.has(state.definition.name) ? 1 : 0 })),
    },
    {
      name: 'vigil_source_lease_owner',
      help: 'The replica holding the lease of the source at the last look; always 1.',
      samples: shared.flatMap((state) => {
        const owner = owners.get(state.definition.name);
        return owner === undefined ? [] : [{ labels: { ...sourceLabels(state), replica: owner }, value: 1 }];
      }),
    },
    {
      name: 'vigil_lease_changes_total',
      help: 'Leases this replica acquired, released (balance, shutdown) or lost (taken while it was away).',
      type: 'counter',
      samples: (['acquired', 'released', 'lost'] as const).map((change) => ({ labels: { change }, value: changes[change] })),
    },
  ];
}

/** Every metric family, gauges only; a family with no sample still gets its HELP and TYPE. */
export function renderMetrics(input: MetricsInput): string {
  const sourceLabels: SourceLabels = (state) => ({ source: state.definition.name, kind: state.definition.kind });
  const checked = input.states.filter((state) => state.latest !== undefined);
  const families: Family[] = [
    {
      name: 'vigil_source_up',
      help: "Whether the source's last check succeeded (1 for ok or degraded, 0 otherwise or before the first check).",
      samples: input.states.map((state) => ({
        labels: sourceLabels(state),
        value: hasAnswered(state.latest?.status) ? 1 : 0,
      })),
    },
    {
      name: 'vigil_source_status',
      help: "The source's last check status, one-hot (unknown: no check finished yet).",
      samples: input.states.flatMap((state) => {
        const current = state.latest?.status ?? 'unknown';
        return METRIC_STATUSES.map((status) => ({
          labels: { ...sourceLabels(state), status },
          value: status === current ? 1 : 0,
        }));
      }),
    },
    {
      name: 'vigil_source_latency_seconds',
      help: "Duration of the source's last check in seconds.",
      // Microsecond precision: the engine measures to 10 µs, and 0.1 + 0.2-style noise helps no one.
      samples: checked.map((state) => ({ labels: sourceLabels(state), value: Math.round((state.latest?.latencyMs ?? 0) * 1000) / 1e6 })),
    },
    {
      name: 'vigil_source_last_check_timestamp_seconds',
      help: "When the source's last check finished, in seconds since the Unix epoch.",
      samples: checked.map((state) => ({
        labels: sourceLabels(state),
        value: Date.parse(state.latest?.timestamp ?? '') / 1000,
      })),
    },
    ...(input.nowMs === undefined
      ? []
      : [
          {
            name: 'vigil_source_result_age_seconds',
            help: "Seconds since the source's result on show was taken (by this replica or another).",
            samples: checked.map((state) => ({
              labels: sourceLabels(state),
              value: Math.max(0, (input.nowMs ?? 0) - Date.parse(state.latest?.timestamp ?? '')) / 1000,
            })),
          },
        ]),
    ...(input.coordination ? coordinationFamilies(input.states, input.coordination, sourceLabels) : []),
    {
      name: 'vigil_build_info',
      help: 'The running build of Vigil; always 1.',
      samples: [{ labels: { version: input.version, git_hash: input.gitHash }, value: 1 }],
    },
    {
      name: 'vigil_uptime_seconds',
      help: 'Seconds since the Vigil process started.',
      samples: [{ labels: {}, value: Math.max(0, input.uptimeMs) / 1000 }],
    },
  ];
  return `${families.map(renderFamily).join('\n')}\n`;
}
