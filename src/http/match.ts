// The request's operation, matched once per request for every later step (Cache-Control, body
// parsing, auth, handlers, errors, the log line) instead of each step matching it again.
import type { RequestHandler } from 'express';
import type { OperationMatcher } from './spec.ts';

/**
 * Matches the request to its operation once, for every later step (auth, handlers, errors, the
 * log line): `res.locals.operation` (undefined when none) and `res.locals.operationId`.
 */
export function createMatchMiddleware(match: OperationMatcher): RequestHandler {
  return function matchOperation(req, res, next) {
    const op = match(req.method, req.path);
    res.locals.operation = op;
    if (op) res.locals.operationId = op.operationId;
    next();
  };
}
