// `log:` — Vigil's own log lines (JSON on stdout).
import type { z } from 'zod';
import type { LogConfig } from '../types.ts';
import { flag, oneOf, section } from './fields.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSection = section({
  level: oneOf(LOG_LEVELS).prefault('info').meta({ description: 'Lowest level written, as JSON lines on stdout.' }),
  probe_requests: flag()
    .prefault(false)
    .meta({
      description:
        'Log the successful answers of the public probe endpoints (`/livez`, `/readyz`, `/health`, `/v1/health`, `/healthz`) at `info` like every other request. By default they are logged at `debug`: load balancers, Kubernetes and monitors call them every few seconds, and the line costs more than the answer. Their 4xx and 5xx answers are always logged as `warn` and `error`.',
    }),
})
  .transform((s): LogConfig => ({ level: s.level, probeRequests: s.probe_requests }))
  .meta({ description: "Vigil's own log." });

export type LogConfigInput = z.input<typeof logSection>;
