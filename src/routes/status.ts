// 003 `GET /health/status`. Reads the engine's snapshot only; authentication (X-API-Key with
// the `status:read` scope) is enforced by the platform from the spec.
import type { SourceState } from '../engine/types.ts';
import { sendAnswer } from '../http/answer.ts';
import type { AppDeps, FamilyHandlersFactory, PublicAnswer } from '../http/types.ts';
import { formatGoDuration, renderStatus } from '../render/status.ts';
import { familySection, FamilyConfigError, optionalSourceList, optionalSourceName, refuseUnknownKeys } from '../config/families/family-config.ts';
import { keysOf, statusFamilySection } from '../config/families/schema.ts';

export interface StatusFamilyConfig {
  /** Sources listed as components, in this order. */
  readonly components: readonly string[];
  /** The `nats` source whose details fill nats/streams/kv_buckets/jobs; undefined: none. */
  readonly nats: string | undefined;
}

/**
 * `families.status`: `{ nats?: <source of kind nats>, components?: [<source>...] }`.
 * Defaults: every source as a component; the first source of kind `nats`.
 */
export function parseStatusConfig(families: Readonly<Record<string, unknown>>, sources: readonly SourceState[]): StatusFamilyConfig {
  const section = familySection(families, 'status');
  refuseUnknownKeys(section, 'status', keysOf(statusFamilySection));
  const names = sources.map((s) => s.definition.name);
  const components = optionalSourceList(section.components, 'families.status.components', names) ?? names;
  const named = optionalSourceName(section.nats, 'families.status.nats', names);
  if (named !== undefined) {
    const kind = sources.find((s) => s.definition.name === named)?.definition.kind;
    if (kind !== 'nats') throw new FamilyConfigError(`families.status.nats: "${named}" is a ${kind} source; a source of kind nats is expected`);
  }
  const nats = named ?? sources.find((s) => s.definition.kind === 'nats')?.definition.name;
  return { components, nats };
}

/** 003's `GET /health/status`, and its `uptime` now on its own (the fast path splices it in). */
export function createHealthStatusAnswer(deps: Pick<AppDeps, 'config' | 'engine' | 'build' | 'startedAt' | 'now'>): {
  readonly answer: () => PublicAnswer;
  readonly uptime: () => string;
} {
  const config = parseStatusConfig(deps.config.families, deps.engine.sources());
  const startedAtMs = deps.startedAt.getTime();
  return {
    answer() {
      const { httpStatus, body } = renderStatus({
        components: config.components.flatMap((name) => deps.engine.source(name) ?? []),
        nats: config.nats === undefined ? undefined : deps.engine.source(config.nats),
        version: deps.build.version,
        uptimeMs: deps.now() - startedAtMs,
      });
      return { status: httpStatus, contentType: 'application/json', body };
    },
    uptime: () => formatGoDuration(deps.now() - startedAtMs),
  };
}

export const statusHandlers: FamilyHandlersFactory = (deps) => {
  const { answer } = createHealthStatusAnswer(deps);
  return {
    getHealthStatus(_req, res) {
      sendAnswer(res, answer());
    },
  };
};
