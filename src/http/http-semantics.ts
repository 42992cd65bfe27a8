// HTTP behaviour every operation shares, decided once from the operation table so the full
// stack and any fast path answer alike:
//
// - HEAD is answered by the GET of the same path (RFC 9110 §9.3.2: the same status and headers,
//   no body). Load balancers probe with HEAD. The request is handled as a GET so that it is
//   authenticated and validated exactly like one; Node's response already knows it answers a
//   HEAD (it was created for one) and sends no body.
// - Cache-Control: `no-store` on every operation that reads a credential (its answer, even a
//   401, belongs to one caller); `no-cache` on public ones (a health answer must be fresh).
// - Query parameter names with brackets (`a[b]`, `a[__proto__][b]`) are refused: Vigil
//   documents none, and they are how nested-object parsers are abused.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { httpProblem, problemFor } from './problem.ts';
import type { OperationInfo } from './spec.ts';

const headRequests = new WeakSet<IncomingMessage>();

/** Was this request a HEAD before `answerHeadAsGet` made it a GET (for the request log)? */
export function wasHeadRequest(req: IncomingMessage): boolean {
  return headRequests.has(req);
}

export function answerHeadAsGet(): RequestHandler {
  return function headAsGet(req: Request, _res: Response, next: NextFunction): void {
    if (req.method === 'HEAD') {
      headRequests.add(req);
      req.method = 'GET';
    }
    next();
  };
}

/** The Cache-Control value for an answer to `op` (undefined: not an operation of the spec). */
export function cacheControlFor(op: OperationInfo | undefined): string {
  return op && op.security.mode !== 'public' ? 'no-store' : 'no-cache';
}

/** After the match middleware: reads the request's operation from `res.locals.operation`. */
export function setCacheControl(): RequestHandler {
  return function cacheControl(_req: Request, res: Response, next: NextFunction): void {
    res.setHeader('Cache-Control', cacheControlFor(res.locals.operation as OperationInfo | undefined));
    next();
  };
}

/** The first bracketed query parameter name of a raw URL, if any (percent-encoded ones too). */
export function bracketedQueryKey(url: string): string | undefined {
  const question = url.indexOf('?');
  if (question < 0) return undefined;
  for (const name of new URLSearchParams(url.slice(question + 1)).keys()) {
    if (name.includes('[') || name.includes(']')) return name;
  }
  return undefined;
}

export function refuseBracketedQueryKeys(): RequestHandler {
  return function noBracketedKeys(req: Request, _res: Response, next: NextFunction): void {
    if (bracketedQueryKey(req.originalUrl ?? req.url) === undefined) return next();
    next(httpProblem(problemFor(400, 'Request validation failed', 'query parameter names must not contain "[" or "]"')));
  };
}
