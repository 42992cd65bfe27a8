// 004 `GET /healthz/sources` (admin only; the platform enforces it from the spec) and Hasura's
// public `GET /healthz`. Both read the engine's snapshot only.
import type { Request } from 'express';
import type { SourceState } from '../engine/types.ts';
import { sendAnswer } from '../http/answer.ts';
import type { AppDeps, FamilyHandlersFactory, PublicAnswer } from '../http/types.ts';
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

/** The sources `families.sources` reports, read from the engine's snapshot. */
function sourceSelection(deps: Pick<AppDeps, 'config' | 'engine'>): () => SourceState[] {
  const config = parseSourcesConfig(deps.config.families, deps.engine.sources());
  const reported = new Set(config.sources);
  return () => deps.engine.sources().filter((state) => reported.has(state.definition.name));
}

/** Hasura's `/healthz` answer (`strict`: `?strict=true`). */
export function createHealthzAnswer(deps: Pick<AppDeps, 'config' | 'engine'>): (strict: boolean) => PublicAnswer {
  const selected = sourceSelection(deps);
  return (strict) => {
    const { httpStatus, text } = renderHealthz(aggregateSources(selected()), strict);
    return { status: httpStatus, contentType: 'text/plain', body: text };
  };
}

/** 004's `GET /healthz/sources` (the caller is an admin: the platform checked). */
export function createHealthzSourcesAnswer(deps: Pick<AppDeps, 'config' | 'engine'>): () => PublicAnswer {
  const selected = sourceSelection(deps);
  return () => ({ status: 200, contentType: 'application/json', body: renderSources(selected()) });
}

export const sourcesHandlers: FamilyHandlersFactory = (deps) => {
  const healthz = createHealthzAnswer(deps);
  const sources = createHealthzSourcesAnswer(deps);
  return {
    getHealthz(req, res) {
      sendAnswer(res, healthz(strictOf(req)));
    },
    getHealthzSources(_req, res) {
      sendAnswer(res, sources());
    },
  };
};
