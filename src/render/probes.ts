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

/**
 * A family's lines. Per-source samples are written straight from each source's label text
 * (made once per render), not as a label object and a sample object each: at 20,000 sources
 * that was a quarter of a million objects per scrape and the largest transient in the heap.
 */
interface Family {
  readonly name: string;
  readonly help: string;
  /** Default gauge. */
  readonly type?: 'gauge' | 'counter';
  /** `name{labels} value` lines: label text (`source="a",kind="redis"`, may be empty) and value. */
  readonly samples: readonly (readonly [labels: string, value: number])[] | ((emit: (labels: string, value: number) => void) => void);
}

/**
 * Lines joined a few thousand at a time: the joined chunks are all that outlives a batch, so
 * a scrape of 20,000 sources (about 14 MB of text) never holds its quarter of a million lines
 * at once as well.
 */
class LineWriter {
  private readonly chunks: string[] = [];
  private batch: string[] = [];

  push(...lines: string[]): void {
    for (const line of lines) this.batch.push(line);
    if (this.batch.length >= 4_096) this.cut();
  }

  text(): string {
    this.cut();
    return `${this.chunks.join('\n')}\n`;
  }

  private cut(): void {
    if (this.batch.length === 0) return;
    this.chunks.push(this.batch.join('\n'));
    this.batch = [];
  }
}

function renderFamily(family: Family, out: LineWriter): void {
  out.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type ?? 'gauge'}`);
  const emit = (labelText: string, value: number): void => {
    out.push(`${family.name}${labelText ? `{${labelText}}` : ''} ${formatSampleValue(value)}`);
  };
  if (typeof family.samples === 'function') family.samples(emit);
  else for (const [labelText, value] of family.samples) emit(labelText, value);
}

/** `name="value",...` without the braces. */
function labelText(pairs: Readonly<Record<string, string>>): string {
  return labels(pairs).slice(1, -1);
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

/** The families that describe replica coordination; leases exist only for shared sources. */
function coordinationFamilies(states: readonly SourceState[], sourceLabels: readonly string[], coordination: CoordinationStatus): Family[] {
  const shared = states.flatMap((state, i) => (coordination.isLocal(state.definition.name) ? [] : [i]));
  const owned = new Set(coordination.owned());
  const owners = coordination.owners();
  const changes = coordination.leaseChanges();
  return [
    {
      name: 'vigil_replica_info',
      help: 'This replica of Vigil on the shared store; always 1.',
      samples: [[labelText({ replica: coordination.replicaId }), 1]],
    },
    {
      name: 'vigil_store_reachable',
      help: 'Whether this replica reaches the shared store (1) or serves its last snapshot (0).',
      samples: [['', coordination.storeReachable() ? 1 : 0]],
    },
    {
      name: 'vigil_source_lease_owned',
      help: 'Whether this replica holds the lease of the source, so probes it (1) or not (0).',
      samples: (emit) => {
        for (const i of shared) emit(sourceLabels[i] as string, owned.has((states[i] as SourceState).definition.name) ? 1 : 0);
      },
    },
    {
      name: 'vigil_source_lease_owner',
      help: 'The replica holding the lease of the source at the last look; always 1.',
      samples: (emit) => {
        for (const i of shared) {
          const owner = owners.get((states[i] as SourceState).definition.name);
          if (owner !== undefined) emit(`${sourceLabels[i]},replica="${escapeLabelValue(owner)}"`, 1);
        }
      },
    },
    {
      name: 'vigil_lease_changes_total',
      help: 'Leases this replica acquired, released (balance, shutdown) or lost (taken while it was away).',
      type: 'counter',
      samples: (['acquired', 'released', 'lost'] as const).map((change) => [labelText({ change }), changes[change]] as const),
    },
  ];
}

/** Every metric family, gauges only; a family with no sample still gets its HELP and TYPE. */
export function renderMetrics(input: MetricsInput): string {
  const { states } = input;
  const sourceLabels = states.map((state) => labelText({ source: state.definition.name, kind: state.definition.kind }));
  const eachChecked = (emit: (labels: string, value: number) => void, value: (latest: NonNullable<SourceState['latest']>) => number): void => {
    states.forEach((state, i) => {
      if (state.latest !== undefined) emit(sourceLabels[i] as string, value(state.latest));
    });
  };
  const families: Family[] = [
    {
      name: 'vigil_source_up',
      help: "Whether the source's last check succeeded (1 for ok or degraded, 0 otherwise or before the first check).",
      samples: (emit) => states.forEach((state, i) => emit(sourceLabels[i] as string, hasAnswered(state.latest?.status) ? 1 : 0)),
    },
    {
      name: 'vigil_source_status',
      help: "The source's last check status, one-hot (unknown: no check finished yet).",
      samples: (emit) =>
        states.forEach((state, i) => {
          const current = state.latest?.status ?? 'unknown';
          for (const status of METRIC_STATUSES) emit(`${sourceLabels[i]},status="${status}"`, status === current ? 1 : 0);
        }),
    },
    {
      name: 'vigil_source_latency_seconds',
      help: "Duration of the source's last check in seconds.",
      // Microsecond precision: the engine measures to 10 µs, and 0.1 + 0.2-style noise helps no one.
      samples: (emit) => eachChecked(emit, (latest) => Math.round(latest.latencyMs * 1000) / 1e6),
    },
    {
      name: 'vigil_source_last_check_timestamp_seconds',
      help: "When the source's last check finished, in seconds since the Unix epoch.",
      samples: (emit) => eachChecked(emit, (latest) => Date.parse(latest.timestamp) / 1000),
    },
    ...(input.nowMs === undefined
      ? []
      : [
          {
            name: 'vigil_source_result_age_seconds',
            help: "Seconds since the source's result on show was taken (by this replica or another).",
            samples: (emit: (labels: string, value: number) => void) =>
              eachChecked(emit, (latest) => Math.max(0, (input.nowMs ?? 0) - Date.parse(latest.timestamp)) / 1000),
          },
        ]),
    ...(input.coordination ? coordinationFamilies(states, sourceLabels, input.coordination) : []),
    {
      name: 'vigil_build_info',
      help: 'The running build of Vigil; always 1.',
      samples: [[labelText({ version: input.version, git_hash: input.gitHash }), 1]],
    },
    {
      name: 'vigil_uptime_seconds',
      help: 'Seconds since the Vigil process started.',
      samples: [['', Math.max(0, input.uptimeMs) / 1000]],
    },
  ];
  const out = new LineWriter();
  for (const family of families) renderFamily(family, out);
  return out.text();
}
