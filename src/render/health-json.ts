// `application/health+json` (IETF draft-inadarei-api-health-check): the same facts as a
// family's own answer, in the standard shape. Pure; the rules are written in
// openapi/paths/health-json.yaml.
import type { HealthJson, HealthJsonCheck } from '../../generated/types.gen.ts';
import type { CheckStatus } from '../checks/types.ts';
import type { SourceState } from '../engine/types.ts';
import type { BuildInfo } from '../http/types.ts';

export const HEALTH_JSON_TYPE = 'application/health+json';
export type HealthJsonStatus = HealthJson['status'];

const DATASTORES = new Set(['postgres', 'mysql', 'redis', 'elasticsearch', 'qdrant', 'consistency']);
const SYSTEMS = new Set(['http', 'resources']);

function componentType(kind: string): HealthJsonCheck['componentType'] {
  if (DATASTORES.has(kind)) return 'datastore';
  if (SYSTEMS.has(kind)) return 'system';
  return 'component';
}

function checkStatus(status: CheckStatus): HealthJsonStatus {
  if (status === 'ok') return 'pass';
  if (status === 'degraded') return 'warn';
  return 'fail';
}

export interface HealthJsonInput {
  /** The answer's own overall status, mapped by the caller's family rule. */
  readonly status: HealthJsonStatus;
  readonly build: BuildInfo;
  readonly description: string;
  readonly sources: readonly SourceState[];
  /** Authorized callers see why a check fails. */
  readonly withOutput: boolean;
}

export function renderHealthJson(input: HealthJsonInput): HealthJson {
  const checks: Record<string, HealthJsonCheck[]> = {};
  for (const state of input.sources) {
    const name = state.definition.name;
    const latest = state.latest;
    const check: HealthJsonCheck = latest
      ? {
          componentId: name,
          componentType: componentType(state.definition.kind),
          observedValue: Math.max(0, Math.round(latest.latencyMs)),
          observedUnit: 'ms',
          status: checkStatus(latest.status),
          time: latest.timestamp,
          ...(input.withOutput && latest.error !== undefined ? { output: latest.error } : {}),
        }
      : // Not checked yet: Vigil cannot vouch for it.
        { componentId: name, componentType: componentType(state.definition.kind), status: 'warn' };
    checks[`${name}:responseTime`] = [check];
  }
  return {
    status: input.status,
    version: input.build.version.split('.')[0] ?? input.build.version,
    releaseId: input.build.version,
    serviceId: 'vigil',
    description: input.description,
    checks,
  };
}
