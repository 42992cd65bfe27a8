// The snapshot operations the fast path may answer, each with what its parameter-less answer
// depends on: the public probes, and the authenticated snapshot reads without path parameters
// (their answers do not depend on who the caller is, once the platform admitted the caller).
// Built from the same functions the Express handlers send, so the two paths cannot drift apart
// (test/platform/fast-path.test.ts runs one request matrix through both).
import type { AppDeps, SnapshotAnswerSource } from '../http/types.ts';
import { uptimeMs } from '../render/health.ts';
import { createAdminHealthAnswer, createPublicHealthAnswer } from './admin.ts';
import { createConsistencyAnswer, createHealthBasicAnswer, createHealthDetailedAnswer } from './health.ts';
import { DEFAULT_PROBE_OPTIONS, livezAnswer, readyzAnswer } from './probes.ts';
import { createHealthzAnswer, createHealthzSourcesAnswer } from './sources.ts';
import { createHealthStatusAnswer } from './status.ts';

/** The public probe operations: load balancers, Kubernetes and monitors call them every few seconds. */
export const PUBLIC_PROBE_OPERATIONS = ['getLivez', 'getReadyz', 'getHealthz', 'getHealth', 'getPublicHealth'] as const;

export function createSnapshotAnswers(deps: AppDeps): readonly SnapshotAnswerSource[] {
  const healthz = createHealthzAnswer(deps);
  const health = createHealthBasicAnswer(deps);
  const publicHealth = createPublicHealthAnswer(deps);
  const status = createHealthStatusAnswer(deps);
  const detailed = createHealthDetailedAnswer(deps);
  const startedAtMs = deps.startedAt.getTime();
  const { engine } = deps;
  const results = () => engine.revision().results;
  return [
    { operationId: 'getLivez', key: () => 0, build: () => livezAnswer(DEFAULT_PROBE_OPTIONS) },
    // Statuses only (not latencies or timestamps), the shutdown flag and, with replicas, the
    // store: one number (no string built per request).
    {
      operationId: 'getReadyz',
      key: () => {
        const reachable = deps.coordination?.storeReachable();
        return engine.revision().statuses * 8 + (deps.shuttingDown() ? 4 : 0) + (reachable === undefined ? 0 : reachable ? 1 : 2);
      },
      build: () => readyzAnswer(deps, DEFAULT_PROBE_OPTIONS),
    },
    { operationId: 'getHealthz', key: () => engine.revision().statuses, build: () => healthz(false) },
    // The services' statuses only (no latencies): keyed on statuses, it is not rebuilt for every
    // result of every source (2,000 a second at 20,000 sources). The uptime, to the millisecond,
    // is spliced in per request.
    {
      operationId: 'getHealth',
      key: () => engine.revision().statuses,
      build: health,
      splice: { property: 'uptime_ms', value: () => uptimeMs(startedAtMs, deps.now()) },
    },
    { operationId: 'getPublicHealth', key: results, build: publicHealth },
    // Authenticated: answered only to a caller the identity service accepts at once (see fast-path.ts).
    { operationId: 'getHealthzSources', key: results, build: createHealthzSourcesAnswer(deps) },
    { operationId: 'getHealthStatus', key: results, build: status.answer, splice: { property: 'uptime', value: status.uptime } },
    { operationId: 'getAdminHealth', key: results, build: createAdminHealthAnswer(deps) },
    { operationId: 'getHealthConsistency', key: results, build: createConsistencyAnswer(deps) },
    {
      operationId: 'getHealthDetailed',
      // With Vigil's own migration status in the body: only while the one read lately is fresh
      // (the full stack reads it again after that, and the answer follows).
      key: () => {
        if (!detailed.readsMigrations) return results();
        const known = detailed.migrations.fresh();
        return known === undefined ? undefined : `${results()}:${known.at}`;
      },
      build: () => detailed.answer(detailed.readsMigrations ? detailed.migrations.fresh()?.value : undefined),
    },
  ];
}
