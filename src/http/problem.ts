// A failure that should reach the client as a Problem in its family's shape. Handlers and
// middleware pass one to `next` (or throw it); the one error handler renders it.
import type { Problem, ProblemCode } from './errors.ts';

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

/** `next(httpProblem({ status: 404, code: 'not_found', message: 'No such source' }))`. */
export function httpProblem(problem: Problem): HttpProblem {
  return new HttpProblem(problem);
}

const DEFAULT_MESSAGES: Readonly<Record<ProblemCode, string>> = {
  bad_request: 'Bad request',
  unauthorized: 'Authentication required',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  too_many_requests: 'Too many requests',
  internal_error: 'Internal server error',
  unavailable: 'Service unavailable',
};

/** The ProblemCode that goes with an HTTP status. */
export function codeForStatus(status: number): ProblemCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'bad_request';
  }
}

/** A Problem for `status` with the default message unless one is given. */
export function problemFor(status: number, message?: string, details?: string): Problem {
  const code = codeForStatus(status);
  const problem: Problem = { status, code, message: message ?? DEFAULT_MESSAGES[code] };
  return details ? { ...problem, details } : problem;
}
