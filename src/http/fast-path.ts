// The fast path: a node:http request listener in front of the Express app that answers the
// plainest public probe requests (`GET /livez` and friends, or their HEAD, no query, no body, no
// credential, nothing conditional) from bodies built when the engine's snapshot changes, each checked
// against the spec's compiled response schema when it is built. Every other request, and any
// answer that fails its schema, goes to the full Express stack, which stays the one definition
// of behaviour: the fast path only repeats, byte for byte, what that stack answers to requests
// it can recognise cheaply (the matrix test in test/platform/fast-path.test.ts holds it to that).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { cacheControlFor } from './http-semantics.ts';
import type { RequestLog } from './request-log.ts';
import type { OperationInfo } from './spec.ts';
import type { SpecValidator } from './spec-validator.ts';
import type { PublicAnswer, PublicAnswerSource } from './types.ts';

/**
 * Request headers that change nothing in these answers. A request with any other header
 * (credentials, cookies, a body, conditionals, Expect, ranges...) takes the full stack.
 */
const NEUTRAL_HEADERS = new Set([
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'connection',
  'keep-alive',
  'x-request-id',
  'cache-control',
  'pragma',
  'referer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'traceparent',
  'tracestate',
]);

interface CachedAnswer {
  readonly key: string;
  /** Undefined when the built answer failed its schema: the full stack answers (and logs) it. */
  /**
   * The answer as sent. The body stays a string: Node writes a string body in the same packet
   * as the head, a Buffer in a second one (writev), which cost a fifth of the CPU under a flood.
   */
  readonly wire: { readonly status: number; readonly contentType: string; readonly body: string; readonly length: number } | undefined;
}

interface Route {
  readonly operation: OperationInfo;
  readonly source: PublicAnswerSource;
  /** The same for every answer of the operation (HTTP semantics: public operations). */
  readonly cacheControl: string;
  cached: CachedAnswer | undefined;
}

export interface FastPathInput {
  readonly answers: readonly PublicAnswerSource[];
  readonly operations: readonly OperationInfo[];
  readonly validator: SpecValidator;
  readonly requestLog: RequestLog;
  /** Told once per operation and key when a built answer does not match the spec. */
  readonly onInvalid?: (operationId: string, errors: readonly string[]) => void;
}

export interface FastPath {
  /** Answers `req` and returns true, or returns false without touching `res`. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests answered here so far (tests check the fast path was taken at all). */
  answered(): number;
}

/** Whether the request carries only headers that cannot change the answer. */
function neutralHeaders(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!NEUTRAL_HEADERS.has((raw[i] as string).toLowerCase())) return false;
  }
  return true;
}

/**
 * No Accept, any type, or exactly the answer's own type: anything else (a preference such as
 * `application/health+json`, q-values, lists) is negotiated by the full stack.
 */
function acceptable(accept: string | undefined, contentType: string): boolean {
  return accept === undefined || accept === '*/*' || accept === contentType;
}

export function createFastPath(input: FastPathInput): FastPath {
  const routes = new Map<string, Route>();
  for (const source of input.answers) {
    const operation = input.operations.find((op) => op.operationId === source.operationId && op.method === 'get');
    // An operation the spec does not have (a fixture spec in tests) is simply not fast.
    if (!operation || operation.path.includes('{')) continue;
    routes.set(operation.path, { operation, source, cacheControl: cacheControlFor(operation), cached: undefined });
  }

  function build(route: Route, key: string): CachedAnswer {
    const answer: PublicAnswer = route.source.build();
    const pointer = input.validator.responseSchemaPointer(route.operation, answer.status, answer.contentType);
    const errors = pointer === undefined ? [`status ${answer.status} with ${answer.contentType} is not documented`] : input.validator.errorsAt(pointer, answer.body);
    if (errors.length > 0) {
      input.onInvalid?.(route.operation.operationId, errors);
      return { key, wire: undefined };
    }
    const body = answer.contentType === 'application/json' ? JSON.stringify(answer.body) : String(answer.body);
    return { key, wire: { status: answer.status, contentType: answer.contentType, body, length: Buffer.byteLength(body, 'utf8') } };
  }

  let answered = 0;
  return {
    answered: () => answered,
    handle(req, res) {
      // The exact path, no query string: anything else is for the full stack to judge. HEAD is
      // the GET without its body (Node's response for a HEAD request sends none).
      const route = req.method === 'GET' || req.method === 'HEAD' ? routes.get(req.url ?? '') : undefined;
      if (!route || !neutralHeaders(req)) return false;
      const key = route.source.key();
      if (route.cached?.key !== key) route.cached = build(route, key);
      const wire = route.cached.wire;
      if (!wire || !acceptable(req.headers.accept, wire.contentType)) return false;
      const startedAt = performance.now();
      const id = input.requestLog.idOf(req);
      // One writeHead (merged with what was set already: X-Request-Id, Connection: close while
      // closing). Express's spelling of the type, so that both paths send the same bytes.
      res.writeHead(wire.status, {
        'X-Request-Id': id,
        'Content-Type': `${wire.contentType}; charset=utf-8`,
        'Content-Length': wire.length,
        'Cache-Control': route.cacheControl,
      });
      res.end(wire.body);
      input.requestLog.record(req, res, id, startedAt, route.operation.operationId);
      answered += 1;
      return true;
    },
  };
}

/** The server's request listener: the fast path first, the Express app for everything else. */
export function withFastPath(fastPath: FastPath, app: RequestListener): RequestListener {
  return (req, res) => {
    if (!fastPath.handle(req, res)) app(req, res);
  };
}
