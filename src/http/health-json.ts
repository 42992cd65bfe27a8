// Content negotiation for `application/health+json`: a client that prefers it (by order or
// q-value) over plain JSON gets the IETF draft's shape; `*/*` and no Accept keep the
// family's own JSON, so existing clients see no change.
import type { Request, Response } from 'express';
import type { HealthJson } from '../../generated/types.gen.ts';
import { HEALTH_JSON_TYPE } from '../render/health-json.ts';

export function wantsHealthJson(req: Request): boolean {
  if (!req.headers.accept?.includes('health+json')) return false;
  return req.accepts(['application/json', HEALTH_JSON_TYPE]) === HEALTH_JSON_TYPE;
}

export function sendHealthJson(res: Response, status: number, body: HealthJson): void {
  res.status(status).type(HEALTH_JSON_TYPE).send(JSON.stringify(body));
}
