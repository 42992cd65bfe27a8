// POST /v1/auth/login and /v1/auth/logout: the session lifecycle behind the `psession` cookie;
// POST /v1/auth/setup: the first admin, behind the one-time setup token (identity/setup-token.ts).
// Errors go through the platform's handler, which renders the auth family's `{ detail }`.
import type { CookieOptions, Request } from 'express';
import { safeErrorMessage } from '../shared/redact.ts';
import { crossSiteReason } from '../http/cross-site.ts';
import { httpProblem, problemFor } from '../http/problem.ts';
import type { AppDeps, FamilyHandlersFactory } from '../http/types.ts';
import { IdentityInputError, LoginThrottledError, SESSION_COOKIE } from '../identity/index.ts';

interface LoginBody {
  readonly username: string;
  readonly password: string;
}

/** The cookie's attributes; Secure when the request came over HTTPS (or a trusted proxy says so). */
function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: req.secure };
}

function unavailable(deps: AppDeps, action: string, error: unknown, secrets: readonly string[]) {
  deps.logger.error({ action, err: safeErrorMessage(error, secrets) }, 'session store unavailable');
  return httpProblem(problemFor(503, 'Sessions are unavailable right now'));
}

/** Login CSRF: a page on another site must not set (or clear) the session cookie. */
function refuseCrossSite(req: Request) {
  return crossSiteReason(req) === undefined ? undefined : httpProblem(problemFor(403, 'Cross-site requests may not log in or out'));
}

export const authHandlers: FamilyHandlersFactory = (deps) => ({
  async login(req, res, next) {
    const crossSite = refuseCrossSite(req);
    if (crossSite) return next(crossSite);
    const { username, password } = req.body as LoginBody;
    const ip = req.ip ?? req.socket.remoteAddress ?? '';
    let result;
    try {
      result = await deps.identity.login(username, password, ip);
    } catch (error) {
      if (error instanceof LoginThrottledError) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
        return next(httpProblem(problemFor(429, 'Too many failed attempts; try again later')));
      }
      return next(unavailable(deps, 'login', error, [password]));
    }
    if (!result) return next(httpProblem(problemFor(401, 'Invalid username or password')));

    res.cookie(SESSION_COOKIE, result.sessionId, { ...cookieOptions(req), maxAge: deps.config.auth.session.ttlMs });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ username, role: result.role, expires_at: result.expiresAt.toISOString() });
  },

  async logout(req, res, next) {
    const crossSite = refuseCrossSite(req);
    if (crossSite) return next(crossSite);
    const sessionId = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
    if (sessionId) {
      try {
        await deps.identity.logout(sessionId);
      } catch (error) {
        return next(unavailable(deps, 'logout', error, [sessionId]));
      }
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.status(204).end();
  },

  async createFirstAdmin(req, res, next) {
    // The auth middleware let only the setup token through (the operation accepts nothing else).
    const { username, password } = req.body as LoginBody;
    let outcome;
    try {
      outcome = await deps.identity.createFirstAdmin(username, password);
    } catch (error) {
      if (error instanceof IdentityInputError) return next(httpProblem(problemFor(400, error.message)));
      deps.logger.error({ action: 'first admin', err: safeErrorMessage(error, [password]) }, 'store unavailable');
      return next(httpProblem(problemFor(503, 'The store is unavailable right now')));
    }
    res.setHeader('Cache-Control', 'no-store');
    if (!outcome.created) return next(httpProblem(problemFor(409, 'An admin exists already; log in instead')));
    deps.logger.info({ username: outcome.username }, 'first admin created with the setup token');
    res.status(201).json({ username: outcome.username, role: outcome.role });
  },
});
