// Every error Vigil answers, in the documented shape of the API family the request belongs to.
// The family of an operation is its first tag in openapi/ (system, health, admin, auth,
// status, sources, probes); requests that match no operation use the `health` shape.

export const API_FAMILIES = ['system', 'health', 'admin', 'auth', 'status', 'sources', 'probes', 'history'] as const;
export type ApiFamily = (typeof API_FAMILIES)[number];

/** A failure before or inside a handler, independent of any family's wire shape. */
export interface Problem {
  /** HTTP status code to answer with. */
  readonly status: number;
  /** Short machine-readable code, e.g. `unauthorized`, `bad_request`, `not_found`. */
  readonly code: ProblemCode;
  /** Human-readable, safe for the public: no stack, no secret, no connection string. */
  readonly message: string;
  /** Further safe detail, e.g. validation messages naming the offending field. */
  readonly details?: string;
}

export type ProblemCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'internal_error'
  | 'unavailable';

/**
 * 000's numeric error codes. 1–6 are the document's own; 7 and up are Vigil's additions for
 * what the document leaves without a code (MySQL, the three HTTP components, bad input).
 */
export const SYSTEM_ERROR_CODES = {
  authFailed: 1,
  noAdminUser: 2,
  elasticsearch: 3,
  rabbitmq: 4,
  redis: 5,
  sessionInactive: 6,
  mysql: 7,
  systemContainer: 8,
  adminFrontend: 9,
  userFrontend: 10,
  badRequest: 11,
  internal: 12,
} as const;

/** 000's own wording for its code 1. */
export const SYSTEM_AUTH_FAILED_MESSAGE = 'Authentication failed. Invalid admin API key.';

/** Hasura's error codes for the same situations. */
const HASURA_CODES: Readonly<Record<ProblemCode, string>> = {
  bad_request: 'bad-request',
  unauthorized: 'access-denied',
  forbidden: 'access-denied',
  not_found: 'not-found',
  method_not_allowed: 'not-found',
  payload_too_large: 'bad-request',
  unsupported_media_type: 'bad-request',
  too_many_requests: 'too-many-requests',
  internal_error: 'unexpected',
  unavailable: 'unexpected',
};

function systemCodeFor(problem: Problem): number {
  switch (problem.code) {
    case 'unauthorized':
    case 'forbidden':
    case 'too_many_requests':
      return SYSTEM_ERROR_CODES.authFailed;
    case 'internal_error':
    case 'unavailable':
      return SYSTEM_ERROR_CODES.internal;
    default:
      return SYSTEM_ERROR_CODES.badRequest;
  }
}

/** The response body for `problem` in `family`'s documented error shape. */
export function renderError(family: ApiFamily, problem: Problem): Record<string, unknown> {
  const message = problem.details ? `${problem.message}: ${problem.details}` : problem.message;
  switch (family) {
    case 'system': {
      const code = systemCodeFor(problem);
      // 000 gives code 1 one sentence; a throttled client reads it too, with Retry-After.
      const text = code === SYSTEM_ERROR_CODES.authFailed ? SYSTEM_AUTH_FAILED_MESSAGE : message;
      return { Errors: [{ Code: code, Message: text }] };
    }
    case 'status':
      return { error: problem.message, details: problem.details ?? '', code: problem.status };
    case 'sources':
      return { path: '$', error: message, code: HASURA_CODES[problem.code] };
    case 'admin':
    case 'auth':
    case 'history':
      return { detail: message };
    // The probes (/livez, /readyz, /metrics) answer text; their rare errors use health's shape.
    case 'health':
    case 'probes':
      return { status: 'error', error: message, code: problem.code };
  }
}
