// Kubernetes-style `GET /livez` and `GET /readyz`, and Prometheus `GET /metrics`. Public; they
// read the engine's snapshot and the shutdown flag only.
import type { Request } from 'express';
import type { FamilyHandlersFactory } from '../http/types.ts';
import { livenessChecks, METRICS_CONTENT_TYPE, readinessChecks, renderMetrics, renderProbe, type ProbeOptions } from '../render/probes.ts';

function queryStrings(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** Kubernetes reads `verbose` by presence; Vigil also lets `false`/`0` turn it off. */
export function probeOptions(req: Request): ProbeOptions {
  const query = req.query as Record<string, unknown>;
  const verbose = 'verbose' in query && !['false', '0'].includes(String(query.verbose));
  return { verbose, exclude: queryStrings(query.exclude) };
}

export const probesHandlers: FamilyHandlersFactory = (deps) => ({
  getLivez(req, res) {
    const { httpStatus, text } = renderProbe('livez', livenessChecks(), probeOptions(req));
    res.status(httpStatus).type('text/plain').send(text);
  },
  getReadyz(req, res) {
    const checks = readinessChecks(deps.engine.sources(), deps.shuttingDown(), deps.coordination?.storeReachable());
    const { httpStatus, text } = renderProbe('readyz', checks, probeOptions(req));
    res.status(httpStatus).type('text/plain').send(text);
  },
  getMetrics(_req, res) {
    const text = renderMetrics({
      states: deps.engine.sources(),
      version: deps.build.version,
      gitHash: deps.build.gitHash,
      uptimeMs: deps.now() - deps.startedAt.getTime(),
      nowMs: deps.now(),
      ...(deps.coordination ? { coordination: deps.coordination } : {}),
    });
    res.status(200).type(METRICS_CONTENT_TYPE).send(text);
  },
});
