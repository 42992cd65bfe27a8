// The one error handler: every failure (validator, body parser, auth, handler, unexpected
// throw) is answered in the documented error shape of the request's API family.
import type { ErrorRequestHandler, Request, Response } from 'express';
import * as eov from 'express-openapi-validator';
import type { Logger } from 'pino';
import { redactSecrets, safeErrorMessage } from '../shared/redact.ts';
import { renderError, type ApiFamily, type Problem } from './errors.ts';
import { HttpProblem, problemFor } from './problem.ts';
import { documentsStatus, findOperation, operationsOnPath, type OperationInfo } from './spec.ts';

export interface ErrorHandlerInput {
  readonly operations: readonly OperationInfo[];
  readonly logger: Logger;
  /** Secret values to scrub from anything logged. */
  readonly secrets: readonly string[];
  readonly bodyLimitBytes: number;
}

interface ValidationItem {
  readonly path?: string;
  readonly message?: string;
}

/** The family whose error shape a request gets: its operation's, else its path's, else `health`. */
export function familyOf(operations: readonly OperationInfo[], req: Request, op: OperationInfo | undefined = findOperation(operations, req.method, req.path)): ApiFamily {
  return (op ?? operationsOnPath(operations, req.path)[0])?.family ?? 'health';
}

/** The request's operation: the app's one match when it ran, else matched here. */
function operationOf(operations: readonly OperationInfo[], req: Request, res: Response): OperationInfo | undefined {
  return 'operation' in res.locals ? (res.locals.operation as OperationInfo | undefined) : findOperation(operations, req.method, req.path);
}

function errorFields(err: unknown): { status?: number; type?: string; errors?: ValidationItem[]; headers?: Record<string, string> } {
  if (!err || typeof err !== 'object') return {};
  const e = err as Record<string, unknown>;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return {
    status,
    type: typeof e.type === 'string' ? e.type : undefined,
    errors: Array.isArray(e.errors) ? (e.errors as ValidationItem[]) : undefined,
    headers: e.headers && typeof e.headers === 'object' ? (e.headers as Record<string, string>) : undefined,
  };
}

function describe(items: readonly ValidationItem[]): string {
  return items
    .map(({ path, message = 'is invalid' }) => (path && /^[a-z]/.test(message) ? `${path} ${message}` : message))
    .join('; ');
}

function send(res: Response, status: number, body: unknown): void {
  // Sent as a string on purpose: res.json would run the response validator again, and an
  // error shape it cannot match would turn a 4xx into a 500.
  res.status(status).type('application/json').send(JSON.stringify(body));
}

export function createErrorHandler(input: ErrorHandlerInput): ErrorRequestHandler {
  const { operations, logger, secrets, bodyLimitBytes } = input;
  const warnedUndocumented = new Set<string>();

  function classify(err: unknown, req: Request, res: Response): Problem {
    if (err instanceof HttpProblem) return err.problem;
    const { status, type, errors } = errorFields(err);
    if (err instanceof eov.error.InternalServerError) {
      // Response validation (or a spec that failed to load): the handler answered off-spec.
      logger.error(
        {
          operationId: res.locals.operationId,
          method: req.method,
          path: req.path,
          statusCode: res.statusCode,
          validationErrors: (errors ?? []).map((item) => redactSecrets(`${item.path ?? ''} ${item.message ?? ''}`.trim(), secrets)),
          message: safeErrorMessage(err, secrets),
        },
        'response failed validation against the OpenAPI spec',
      );
      return problemFor(500, 'Internal server error', 'the response did not match the API contract');
    }
    switch (type) {
      case 'entity.parse.failed':
        return problemFor(400, 'Malformed JSON body');
      case 'entity.too.large':
        return problemFor(413, `Request body exceeds ${bodyLimitBytes} bytes`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return problemFor(415, 'Unsupported body encoding');
    }
    if (status === 400) {
      const details = errors && errors.length > 0 ? redactSecrets(describe(errors), secrets) : undefined;
      return problemFor(400, 'Request validation failed', details);
    }
    // 404, 405, 406, 413, 415... the default sentence says it all; the validator's repeats the path.
    if (status !== undefined && status > 400 && status < 500) return problemFor(status);
    logger.error(
      {
        operationId: res.locals.operationId,
        method: req.method,
        path: req.path,
        // Not `err`: pino's error serializer would replace this redacted copy with the raw error.
        error: {
          type: err instanceof Error ? err.name : typeof err,
          message: safeErrorMessage(err, secrets),
          stack: err instanceof Error && err.stack ? redactSecrets(err.stack, secrets) : undefined,
        },
      },
      'unexpected error while handling a request',
    );
    return problemFor(500);
  }

  return function errorHandler(err, req, res, next) {
    if (res.headersSent) {
      logger.error({ path: req.path, message: safeErrorMessage(err, secrets) }, 'error after the response started');
      return next(err);
    }
    const problem = classify(err, req, res);
    const { headers } = errorFields(err);
    if (headers && !(err instanceof HttpProblem)) {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    }
    const op = operationOf(operations, req, res);
    if (op && !documentsStatus(op, problem.status)) {
      const key = `${op.operationId} ${problem.status}`;
      if (!warnedUndocumented.has(key)) {
        warnedUndocumented.add(key);
        logger.warn({ operationId: op.operationId, status: problem.status }, 'answering with a status the operation does not document');
      }
    }
    send(res, problem.status, renderError(familyOf(operations, req, op), problem));
  };
}
