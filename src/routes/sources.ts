// 004 `GET /healthz/sources` (admin only; the platform enforces it from the spec) and Hasura's
// public `GET /healthz`. Both read the engine's snapshot only.
import type { Request } from 'express';
import type { SourceState } from '../engine/types.ts';
import type { FamilyHandlersFactory } from '../http/types.ts';
import { renderHealthz, renderSources } from '../render/sources.ts';
import { aggregateSources } from '../render/status-rules.ts';
import { familySection, optionalSourceList, refuseUnknownKeys } from '../config/families/family-config.ts';
import { keysOf, sourcesFamilySection } from '../config/families/schema.ts';

export interface SourcesFamilyConfig {
  /** The sources reported, in configuration order. */
  readonly sources: readonly string[];
}

/**
 * `families.sources`: `{ include?: [<source>...], exclude?: [<source>...] }`. `include`
 * (default: every source) is applied first, then `exclude`.
 */
export function parseSourcesConfig(families: Readonly<Record<string, unknown>>, sources: readonly SourceState[]): SourcesFamilyConfig {
  const section = familySection(families, 'sources');
  refuseUnknownKeys(section, 'sources', keysOf(sourcesFamilySection));
  const names = sources.map((s) => s.definition.name);
  const include = new Set(optionalSourceList(section.include, 'families.sources.include', names) ?? names);
  const exclude = new Set(optionalSourceList(section.exclude, 'families.sources.exclude', names) ?? []);
  return { sources: names.filter((name) => include.has(name) && !exclude.has(name)) };
}

/** `?strict=true`; the validator may or may not have coerced it to a boolean already. */
function strictOf(req: Request): boolean {
  const value: unknown = req.query.strict;
  return value === true || value === 'true';
}

export const sourcesHandlers: FamilyHandlersFactory = (deps) => {
  const config = parseSourcesConfig(deps.config.families, deps.engine.sources());
  const reported = new Set(config.sources);
  const selected = (): SourceState[] => deps.engine.sources().filter((state) => reported.has(state.definition.name));
  return {
    getHealthz(req, res) {
      const { httpStatus, text } = renderHealthz(aggregateSources(selected()), strictOf(req));
      res.status(httpStatus).type('text/plain').send(text);
    },
    getHealthzSources(_req, res) {
      res.status(200).json(renderSources(selected()));
    },
  };
};
