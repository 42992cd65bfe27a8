// Every API family's handler factory. createApp checks their union against the spec's
// operationIds at start-up, so an operation without a handler (or a handler without an
// operation) refuses to start.
//
// Family owners: add exactly one import line and one array entry for your family, e.g.
//   import { healthHandlers } from './health.ts';
import { historyHandlers } from './history.ts';
//   ... healthHandlers,
import type { FamilyHandlersFactory } from '../http/types.ts';
import { adminHandlers } from './admin.ts';
import { authHandlers } from './auth.ts';
import { healthHandlers } from './health.ts';
import { probesHandlers } from './probes.ts';
import { sourcesHandlers } from './sources.ts';
import { statusHandlers } from './status.ts';
import { systemHandlers } from './system.ts';

export const familyHandlerFactories: readonly FamilyHandlersFactory[] = [
  healthHandlers,
  statusHandlers,
  sourcesHandlers,
  probesHandlers,
  systemHandlers,
  adminHandlers,
  authHandlers,
  historyHandlers,
];
