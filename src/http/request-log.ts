// Request logging: one line per request with a whitelist of fields. Headers other than a few
// harmless ones are never logged, bodies never, and every query value is masked except those
// of the parameters the spec documents (none of which is a secret): a key sent under any
// other name (`?k=vgl_...`) must not reach the log.
// One call on the shared logger when the response finishes: no child logger per request
// (pino-http's cost under a flood), and the fast path writes the very same line.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { wasHeadRequest } from './http-semantics.ts';

const SECRET_PARAM = /token|key|secret|pass|auth|session|signature|sig|code|credential|jwt/i;
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'accept'] as const;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * New request ids: UUID-shaped, a random prefix per process and a counter, unique within a
 * process and across replicas without drawing 16 random bytes per request (a request id is
 * for finding a request's line, never a secret; randomUUID was a twentieth of a probe answer).
 */
function requestIds(): () => string {
  const hex = randomBytes(10).toString('hex');
  const prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-`;
  let counter = 0;
  return () => {
    counter += 1;
    return prefix + counter.toString(16).padStart(12, '0');
  };
}
/**
 * The logger's redaction as it applies to a request line. The line is built from whitelisted
 * fields only, so the full list (wildcard paths included: about a third of a fast-path answer's
 * CPU under a flood) has nothing to find in it; these header paths stay in case LOGGED_HEADERS
 * ever grows.
 */
const REQUEST_LINE_REDACT_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.headers["x-hasura-admin-secret"]'];

/**
 * `url` with every query value replaced by `***`, except the values of `loggable` parameters
 * (the documented ones). A name that looks like a secret is masked even when documented.
 */
export function safeRequestUrl(url: string, loggable: ReadonlySet<string> = new Set()): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const params = new URLSearchParams(url.slice(question + 1));
  const masked = new URLSearchParams();
  for (const [name, value] of params) {
    masked.append(name, loggable.has(name) && !SECRET_PARAM.test(name) ? value : '***');
  }
  const query = masked.toString().replace(/%2A/g, '*');
  return `${url.slice(0, question)}${query ? `?${query}` : ''}`;
}

type Locals = { locals?: Record<string, unknown> };

export interface RequestLoggerInput {
  readonly logger: Logger;
  /** Query parameters whose values may be logged: the ones the spec documents. */
  readonly loggableQueryParameters: ReadonlySet<string>;
  /** Operations whose successful answers are logged at debug, not info (the public probes). */
  readonly quietOperations?: ReadonlySet<string>;
}

export interface RequestLog {
  /** Express middleware: sets the request id and logs the line when the response finishes. */
  readonly middleware: RequestHandler;
  /** The id a request goes by: a sane `X-Request-Id` it brought, else a new UUID. Sets the header. */
  requestId(req: IncomingMessage, res: ServerResponse): string;
  /** The same id without setting the header (the fast path sends it in its one writeHead). */
  idOf(req: IncomingMessage): string;
  /** The id for a request that brought `given` as its X-Request-Id (the fast path reads it from the raw headers). */
  idFrom(given: string | undefined): string;
  /** Whether an answer with `status` to `operationId` is written to the log at the logger's level. */
  logs(status: number, operationId: string | undefined): boolean;
  /** Writes the request's line (the fast path calls this itself once it has answered). */
  record(req: IncomingMessage, res: ServerResponse, id: string, startedAt: number, operationId: string | undefined): void;
}

export function createRequestLog(input: RequestLoggerInput): RequestLog {
  const { loggableQueryParameters } = input;
  const quiet = input.quietOperations ?? new Set<string>();
  const nextId = requestIds();
  // Made once, not per request.
  const logger = input.logger.child({}, { redact: { paths: REQUEST_LINE_REDACT_PATHS, censor: '[redacted]' } });

  function idFrom(given: string | undefined): string {
    return given !== undefined && REQUEST_ID.test(given) ? given : nextId();
  }

  function idOf(req: IncomingMessage): string {
    const given = req.headers['x-request-id'];
    return idFrom(typeof given === 'string' ? given : undefined);
  }

  function levelOf(status: number, operationId: string | undefined): 'error' | 'warn' | 'debug' | 'info' {
    return status >= 500 ? 'error' : status >= 400 ? 'warn' : operationId !== undefined && quiet.has(operationId) ? 'debug' : 'info';
  }

  function requestId(req: IncomingMessage, res: ServerResponse): string {
    const id = idOf(req);
    res.setHeader('X-Request-Id', id);
    return id;
  }

  function record(req: IncomingMessage, res: ServerResponse, id: string, startedAt: number, operationId: string | undefined): void {
    const status = res.statusCode;
    const level = levelOf(status, operationId);
    if (!logger.isLevelEnabled(level)) return;
    const headers: Record<string, unknown> = {};
    for (const name of LOGGED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
    logger[level](
      {
        req: {
          id,
          method: wasHeadRequest(req) ? 'HEAD' : req.method,
          url: safeRequestUrl(url, loggableQueryParameters),
          remoteAddress: req.socket?.remoteAddress,
          headers,
        },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - startedAt),
        ...(operationId ? { operationId } : {}),
      },
      status >= 500 ? 'request failed' : 'request completed',
    );
  }

  const middleware: RequestHandler = (req, res, next) => {
    const startedAt = performance.now();
    const id = requestId(req, res);
    (req as IncomingMessage & { id?: string }).id = id;
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      const operationId = (res as unknown as Locals).locals?.operationId;
      record(req, res, id, startedAt, typeof operationId === 'string' ? operationId : undefined);
    };
    // `close` without `finish`: the client went away before the answer was sent.
    res.on('finish', done);
    res.on('close', done);
    next();
  };

  return { middleware, requestId, idOf, idFrom, logs: (status, operationId) => logger.isLevelEnabled(levelOf(status, operationId)), record };
}
