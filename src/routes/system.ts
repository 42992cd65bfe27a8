// 000's system health check, POST (documented body) and GET (the document's curl example).
// The admin key was checked by the platform's auth middleware before this runs.
import type { Request, RequestHandler } from 'express';
import type { AppDeps, FamilyHandlersFactory } from '../http/types.ts';
import type { Authenticator } from '../identity/types.ts';
import {
  renderSystemHealth,
  SYSTEM_SOURCE_COMPONENTS,
  type ComponentState,
  type SessionVerdict,
  type SystemSourceComponent,
} from '../render/system.ts';
import { parseFamilySources } from '../config/families/family-config.ts';
import { SYSTEM_FAMILY_COMPONENTS } from '../config/families/schema.ts';

export { SYSTEM_FAMILY_COMPONENTS };
type SystemFamilyKey = keyof typeof SYSTEM_FAMILY_COMPONENTS;

const CHECK_OF_KEY: Readonly<Record<SystemFamilyKey, SystemSourceComponent>> = {
  mysql: 'MySQL',
  elasticsearch: 'Elasticsearch',
  rabbitmq: 'RabbitMQ',
  redis: 'Redis',
  system_container: 'SystemContainer',
  admin_frontend: 'AdminFrontend',
  user_frontend: 'UserFrontend',
};

/** Check name -> configured source name (undefined: not configured). Throws naming the bad key. */
export function parseSystemFamily(deps: Pick<AppDeps, 'config' | 'engine'>): Readonly<Record<SystemSourceComponent, string | undefined>> {
  const parsed = parseFamilySources(
    'system',
    deps.config.families.system,
    SYSTEM_FAMILY_COMPONENTS,
    deps.engine.sources().map((s) => s.definition),
  );
  const byCheck = {} as Record<SystemSourceComponent, string | undefined>;
  for (const [key, check] of Object.entries(CHECK_OF_KEY) as [SystemFamilyKey, SystemSourceComponent][]) {
    byCheck[check] = parsed[key];
  }
  return byCheck;
}

function bodyField(req: Request, name: 'SessionID' | 'APIKey'): string | undefined {
  // Only the POST form has a body; a body sent with GET is not part of its contract.
  if (req.method !== 'POST' || typeof req.body !== 'object' || req.body === null) return undefined;
  const value = (req.body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The `Session` check: the caller's session (body `SessionID`, else the `psession` cookie)
 * and API key (body `APIKey`, else `X-API-Key`); every one presented must be active. When
 * neither is presented (the document's own GET example), the caller's credential is the
 * admin API key that just authenticated the request, which is active by construction.
 * Reasons never repeat the credential.
 */
export async function sessionVerdict(identity: Authenticator, req: Request): Promise<SessionVerdict> {
  const sessionId = bodyField(req, 'SessionID') ?? nonEmpty((req.cookies as Record<string, string | undefined> | undefined)?.psession);
  const apiKey = bodyField(req, 'APIKey') ?? nonEmpty(req.get('x-api-key'));
  if (sessionId !== undefined && !(await identity.sessionActive(sessionId))) {
    return { active: false, reason: 'the session is unknown, expired or logged out' };
  }
  if (apiKey !== undefined) {
    const outcome = await identity.authenticate(
      { headers: { 'x-api-key': apiKey }, cookies: {}, ip: req.ip ?? req.socket.remoteAddress ?? '' },
      ['apiKey'],
    );
    if (!outcome.ok) {
      return {
        active: false,
        reason: outcome.reason === 'throttled' ? 'too many failed attempts; the API key was not checked' : 'the API key is unknown, revoked or expired',
      };
    }
  }
  return { active: true };
}

export const systemHandlers: FamilyHandlersFactory = (deps) => {
  const sourceOf = parseSystemFamily(deps);

  const check: RequestHandler = async (req, res) => {
    const components = {} as Record<SystemSourceComponent, ComponentState | null>;
    for (const name of SYSTEM_SOURCE_COMPONENTS) {
      const source = sourceOf[name];
      // The engine knows every validated source; were one missing, it reads as "no result yet".
      components[name] = source === undefined ? null : (deps.engine.source(source) ?? { latest: undefined });
    }
    const [session, adminUserExists] = await Promise.all([sessionVerdict(deps.identity, req), deps.identity.adminExists()]);
    const report = renderSystemHealth({ components, session, adminUserExists });
    res.status(report.status).json(report.body);
  };

  return { postSystemHealthCheck: check, getSystemHealthCheck: check };
};
