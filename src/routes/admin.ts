// 002's health: public `GET /v1/health` and session-protected `GET /v1/admin/health`
// (the platform's auth middleware checked the session and role before this runs).
import type { RequestHandler } from 'express';
import type { AppDeps, FamilyHandlersFactory, PublicAnswer } from '../http/types.ts';
import { renderAdminHealth, renderPublicHealth, type AdminHealthInput, type ComponentState } from '../render/admin.ts';
import { sendAnswer } from '../http/answer.ts';
import { computeSourceHash } from '../source-hash.ts';
import { renderHealthJson } from '../render/health-json.ts';
import { sendHealthJson, wantsHealthJson } from '../http/health-json.ts';
import { parseFamilySources, type FamilySources } from '../config/families/family-config.ts';
import { ADMIN_FAMILY_COMPONENTS } from '../config/families/schema.ts';

export { ADMIN_FAMILY_COMPONENTS };

export type AdminFamilySources = FamilySources<keyof typeof ADMIN_FAMILY_COMPONENTS>;

/** Component -> configured source name. Throws naming the bad key. */
export function parseAdminFamily(deps: Pick<AppDeps, 'config' | 'engine'>): AdminFamilySources {
  return parseFamilySources(
    'admin',
    deps.config.families.admin,
    ADMIN_FAMILY_COMPONENTS,
    deps.engine.sources().map((s) => s.definition),
  );
}

/** The engine's view of the admin family's two components. */
function adminInput(deps: Pick<AppDeps, 'config' | 'engine' | 'startedAt'>): () => AdminHealthInput {
  const sources = parseAdminFamily(deps);
  const state = (name: string | undefined): ComponentState | null => {
    if (name === undefined) return null;
    // Every validated source is known to the engine; were one missing, it has no result.
    const source = deps.engine.source(name);
    return { critical: source?.definition.critical ?? true, latest: source?.latest };
  };
  return () => ({ database: state(sources.database), cache: state(sources.cache), startedAt: deps.startedAt });
}

/** 002's public `GET /v1/health`. */
export function createPublicHealthAnswer(deps: Pick<AppDeps, 'config' | 'engine' | 'startedAt'>): () => PublicAnswer {
  const input = adminInput(deps);
  return () => {
    const report = renderPublicHealth(input());
    return { status: report.status, contentType: 'application/json', body: report.body };
  };
}

let installedSourceHash: string | undefined;

/** The installation's source hash, computed once per process: the files do not change under a running service. */
function sourceHashOnce(): string {
  installedSourceHash ??= computeSourceHash();
  return installedSourceHash;
}

/** 002's `GET /v1/admin/health` (the caller's session is an admin's: the platform checked). */
export function createAdminHealthAnswer(deps: Pick<AppDeps, 'config' | 'engine' | 'startedAt'>): () => PublicAnswer {
  const input = adminInput(deps);
  const sourceHash = sourceHashOnce();
  return () => {
    const report = renderAdminHealth({ ...input(), sourceHash });
    return { status: report.status, contentType: 'application/json', body: report.body };
  };
}

export const adminHandlers: FamilyHandlersFactory = (deps) => {
  const sources = parseAdminFamily(deps);
  const input = adminInput(deps);
  const publicHealth = createPublicHealthAnswer(deps);
  const adminHealth = createAdminHealthAnswer(deps);

  const getPublicHealth: RequestHandler = (req, res) => {
    if (wantsHealthJson(req)) {
      const report = renderPublicHealth(input());
      const status = report.body.status === 'healthy' ? 'pass' : report.body.status === 'degraded' ? 'warn' : 'fail';
      const reported = [sources.database, sources.cache].flatMap((name) => (name === undefined ? [] : (deps.engine.source(name) ?? [])));
      const body = renderHealthJson({ status, build: deps.build, description: 'Vigil: database and cache (families.admin)', sources: reported, withOutput: false });
      return sendHealthJson(res, report.status, body);
    }
    sendAnswer(res, publicHealth());
  };
  const getAdminHealth: RequestHandler = (_req, res) => {
    sendAnswer(res, adminHealth());
  };
  return { getPublicHealth, getAdminHealth };
};
