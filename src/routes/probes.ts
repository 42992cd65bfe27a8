// Kubernetes-style `GET /livez` and `GET /readyz`, and Prometheus `GET /metrics`. Public; they
// read the engine's snapshot and the shutdown flag only.
import type { Request } from 'express';
import { sendAnswer } from '../http/answer.ts';
import type { AppDeps, FamilyHandlersFactory, PublicAnswer } from '../http/types.ts';
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

/** What a request without parameters gets. */
export const DEFAULT_PROBE_OPTIONS: ProbeOptions = { verbose: false, exclude: [] };

export function livezAnswer(options: ProbeOptions): PublicAnswer {
  const { httpStatus, text } = renderProbe('livez', livenessChecks(), options);
  return { status: httpStatus, contentType: 'text/plain', body: text };
}

export function readyzAnswer(deps: Pick<AppDeps, 'engine' | 'shuttingDown' | 'coordination'>, options: ProbeOptions): PublicAnswer {
  const { httpStatus, text } = renderProbe('readyz', readinessChecks(deps.engine.sources(), deps.shuttingDown(), deps.coordination?.storeReachable()), options);
  return { status: httpStatus, contentType: 'text/plain', body: text };
}

export const probesHandlers: FamilyHandlersFactory = (deps) => ({
  getLivez(req, res) {
    sendAnswer(res, livezAnswer(probeOptions(req)));
  },
  getReadyz(req, res) {
    sendAnswer(res, readyzAnswer(deps, probeOptions(req)));
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
