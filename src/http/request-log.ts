// Request logging: one line per request with a whitelist of fields. Headers other than a few
// harmless ones are never logged, bodies never, and every query value is masked except those
// of the parameters the spec documents (none of which is a secret): a key sent under any
// other name (`?k=vgl_...`) must not reach the log.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { wasHeadRequest } from './http-semantics.ts';

const SECRET_PARAM = /token|key|secret|pass|auth|session|signature|sig|code|credential|jwt/i;
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'accept'] as const;

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


type VigilRequest = IncomingMessage & { originalUrl?: string; id?: unknown };

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export interface RequestLoggerInput {
  readonly logger: Logger;
  /** Query parameters whose values may be logged: the ones the spec documents. */
  readonly loggableQueryParameters: ReadonlySet<string>;
}

export function createRequestLogger(input: RequestLoggerInput): RequestHandler {
  const { logger, loggableQueryParameters } = input;
  return pinoHttp({
    logger,
    genReqId: requestId,
    wrapSerializers: false,
    serializers: {
      req: (req: VigilRequest) => {
        const headers: Record<string, unknown> = {};
        for (const name of LOGGED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
        return {
          id: req.id,
          method: wasHeadRequest(req) ? 'HEAD' : req.method,
          url: safeRequestUrl(req.originalUrl ?? req.url ?? '', loggableQueryParameters),
          remoteAddress: req.socket?.remoteAddress,
          headers,
        };
      },
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    // The error handler has already logged the cause (redacted); pino-http's own synthetic
    // "failed with status code 500" error would only add a meaningless stack.
    customErrorObject: (_req, _res, _error, val: Record<string, unknown>) => {
      const { err: _err, ...rest } = val;
      return rest;
    },
    customErrorMessage: () => 'request failed',
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customProps: (_req, res) => {
      const operationId = (res as ServerResponse & { locals?: Record<string, unknown> }).locals?.operationId;
      return operationId ? { operationId } : {};
    },
  }) as unknown as RequestHandler;
}
