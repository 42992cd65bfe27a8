// Authentication driven by the spec: each operation's `security`, `x-vigil-min-role` and
// `x-vigil-scope` decide what the request must carry. Runs before request validation, so an
// anonymous caller learns nothing about an operation's parameters.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { holdsScope } from '../identity/api-keys.ts';
import { IdentityUnavailableError } from '../identity/index.ts';
import { roleAtLeast, type IdentityService, type Principal } from '../identity/types.ts';
import { documentsStatus, type OperationInfo } from './spec.ts';
import { httpProblem, problemFor } from './problem.ts';

export interface AuthMiddlewareInput {
  readonly identity: IdentityService;
  /** Seconds a throttled client is told to wait (Retry-After) when identity does not say. */
  readonly retryAfterSeconds: number;
}

/** Only the credential fields the operation's body documents (000's POST); none elsewhere. */
function documentedBodyCredentials(op: OperationInfo, body: unknown): Record<string, unknown> | undefined {
  if (op.bodyCredentialFields.length === 0 || typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  return Object.fromEntries(op.bodyCredentialFields.filter((field) => field in fields).map((field) => [field, fields[field]]));
}

function hasScope(principal: Principal, scope: string | undefined): boolean {
  // The identity module's rule: `*` grants all, `health:*` grants `health:read`, and an admin
  // API key holds every read scope.
  return scope === undefined || holdsScope(principal, scope);
}

/** Whether an authenticated caller may call `op` (its `x-vigil-min-role` and `x-vigil-scope`); else 403. */
export function permits(op: OperationInfo, principal: Principal): boolean {
  return (!op.minRole || roleAtLeast(principal.role, op.minRole)) && hasScope(principal, op.scope);
}

export function createAuthMiddleware(input: AuthMiddlewareInput): RequestHandler {
  const { identity, retryAfterSeconds } = input;
  return async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
    // Matched once, first thing in the app (createMatchMiddleware).
    const op = res.locals.operation as OperationInfo | undefined;
    if (!op || op.security.mode === 'public') return next();
    let outcome: Awaited<ReturnType<IdentityService['authenticate']>>;
    try {
      outcome = await identity.authenticate(
        {
          headers: req.headers,
          cookies: (req.cookies ?? {}) as Record<string, string | undefined>,
          body: documentedBodyCredentials(op, req.body as unknown),
          ip: req.ip ?? req.socket.remoteAddress ?? '',
        },
        op.security.accepted,
      );
    } catch (error) {
      // The session store, Redis or a JWKS endpoint is down: that is not the caller's fault.
      if (error instanceof IdentityUnavailableError) {
        return next(httpProblem(problemFor(503, 'Authentication is unavailable right now; try again later')));
      }
      throw error;
    }
    if (outcome.ok) {
      const { principal } = outcome;
      if (!permits(op, principal)) {
        return next(httpProblem(problemFor(403, 'Insufficient permissions for this operation')));
      }
      res.locals.principal = principal;
      return next();
    }
    if (outcome.reason === 'throttled') {
      const seconds = outcome.retryAfterMs === undefined ? retryAfterSeconds : Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      res.setHeader('Retry-After', String(seconds));
      return next(httpProblem(problemFor(429, 'Too many failed authentication attempts; try again later')));
    }
    if (outcome.reason === 'missing' && op.security.mode === 'optional') return next();
    // The reason (missing, wrong, revoked, expired) stays out of the body on purpose.
    const status = documentsStatus(op, 401) ? 401 : 403;
    const message = outcome.reason === 'missing' ? 'Authentication required' : 'Invalid credentials';
    return next(httpProblem(problemFor(status, message)));
  };
}
