// `engine:` — how the background scheduler runs the probes.
import type { z } from 'zod';
import { DEFAULT_MAX_CONCURRENT_PROBES } from '../../shared/engine-defaults.ts';
import type { EngineConfig } from '../types.ts';
import { integer, section } from './fields.ts';

export const engineSection = section({
  max_concurrent_probes: integer(1, 100_000).prefault(DEFAULT_MAX_CONCURRENT_PROBES).meta({
    description:
      'Probes running at the same time, at most. More wait their turn and start late; the wait never counts against their timeout. ' +
      'First runs are spread by a fixed phase per source name (up to 1000 a second), so thousands of sources never start at one instant.',
  }),
})
  .transform((s): EngineConfig => ({ maxConcurrentProbes: s.max_concurrent_probes }))
  .meta({ description: 'How the background scheduler runs the probes.' });

export type EngineConfigInput = z.input<typeof engineSection>;
