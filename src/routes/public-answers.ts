// The public snapshot operations the fast path may answer, each with what its parameter-less
// answer depends on. Built from the same functions the Express handlers send, so the two paths
// cannot drift apart (test/platform/fast-path.test.ts runs one request matrix through both).
import type { AppDeps, PublicAnswerSource } from '../http/types.ts';
import { createPublicHealthAnswer } from './admin.ts';
import { createHealthBasicAnswer } from './health.ts';
import { DEFAULT_PROBE_OPTIONS, livezAnswer, readyzAnswer } from './probes.ts';
import { createHealthzAnswer } from './sources.ts';

/** The public probe operations: load balancers, Kubernetes and monitors call them every few seconds. */
export const PUBLIC_PROBE_OPERATIONS = ['getLivez', 'getReadyz', 'getHealthz', 'getHealth', 'getPublicHealth'] as const;

export function createPublicAnswers(deps: AppDeps): readonly PublicAnswerSource[] {
  const healthz = createHealthzAnswer(deps);
  const health = createHealthBasicAnswer(deps);
  const publicHealth = createPublicHealthAnswer(deps);
  const startedAtMs = deps.startedAt.getTime();
  const { engine } = deps;
  return [
    { operationId: 'getLivez', key: () => 'always', build: () => livezAnswer(DEFAULT_PROBE_OPTIONS) },
    // Statuses only (not latencies or timestamps), the shutdown flag and, with replicas, the store.
    {
      operationId: 'getReadyz',
      key: () => `${engine.revision().statuses}:${deps.shuttingDown()}:${deps.coordination?.storeReachable() ?? '-'}`,
      build: () => readyzAnswer(deps, DEFAULT_PROBE_OPTIONS),
    },
    { operationId: 'getHealthz', key: () => String(engine.revision().statuses), build: () => healthz(false) },
    // Latencies are in the body, and uptime to the millisecond.
    { operationId: 'getHealth', key: () => `${engine.revision().results}:${Math.round(deps.now() - startedAtMs)}`, build: health },
    { operationId: 'getPublicHealth', key: () => String(engine.revision().results), build: publicHealth },
  ];
}
