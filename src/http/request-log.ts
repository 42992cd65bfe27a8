// Request logging: one line per request with a whitelist of fields. Headers other than a few
// harmless ones are never logged, bodies never, and secret-looking query values are masked.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const SECRET_PARAM = /token|key|secret|pass|auth|session|signature|sig|code|credential|jwt/i;
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'accept'] as const;

/** `url` with the value of every secret-looking query parameter replaced by `***`. */
export function safeRequestUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const params = new URLSearchParams(url.slice(question + 1));
  for (const name of new Set(params.keys())) {
    if (SECRET_PARAM.test(name)) params.set(name, '***');
  }
  const query = params.toString().replace(/%2A/g, '*');
  return `${url.slice(0, question)}${query ? `?${query}` : ''}`;
}

type VigilRequest = IncomingMessage & { originalUrl?: string; id?: unknown };

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export function createRequestLogger(logger: Logger): RequestHandler {
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
          method: req.method,
          url: safeRequestUrl(req.originalUrl ?? req.url ?? ''),
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
