// `log:` — Vigil's own log lines (JSON on stdout).
import type { z } from 'zod';
import type { LogConfig } from '../types.ts';
import { oneOf, section } from './fields.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSection = section({
  level: oneOf(LOG_LEVELS).prefault('info').meta({ description: 'Lowest level written, as JSON lines on stdout.' }),
})
  .transform((s): LogConfig => ({ level: s.level }))
  .meta({ description: "Vigil's own log." });

export type LogConfigInput = z.input<typeof logSection>;
