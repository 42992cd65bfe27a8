// The fast path: a node:http request listener in front of the Express app that answers the
// plainest snapshot requests (`GET /livez` and friends, or their HEAD, no query, no body,
// nothing conditional) from bodies built when the engine's snapshot changes, each checked
// against the spec's compiled response schema when it is built. Public probes are answered when
// the request carries no credential; the authenticated snapshot operations (`/healthz/sources`,
// `/health/status`...) when the identity service can accept the request's credential at once,
// without a store read and without anything the full stack would do differently
// (IdentityService.reusable), and the caller holds the role and scope the operation needs.
// Every other request, and any answer that fails its schema, goes to the full Express stack,
// which stays the one definition of behaviour: the fast path only repeats, byte for byte, what
// that stack answers to requests it can recognise cheaply (the matrix tests in
// test/platform/fast-path.test.ts and fast-path-auth.test.ts hold it to that).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import cookieParser from 'cookie-parser';
import { CREDENTIAL_HEADERS } from '../identity/index.ts';
import type { CredentialCarrier, CredentialKind, IdentityService, Principal } from '../identity/types.ts';
import { permits } from './auth.ts';
import { cacheControlFor } from './http-semantics.ts';
import type { FrontAnswer, RequestHead } from './request-head.ts';
import type { RequestLog } from './request-log.ts';
import type { OperationInfo } from './spec.ts';
import type { SpecValidator } from './spec-validator.ts';
import type { PublicAnswer, SnapshotAnswerSource } from './types.ts';

/**
 * Request headers that change nothing in these answers. A request with any other header
 * (credentials an operation does not read, a body, conditionals, Expect, ranges...) takes the
 * full stack.
 */
const NEUTRAL_HEADERS = [
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
] as const;

/** The answer as sent, for one key. */
interface Wire {
  readonly status: number;
  readonly contentType: string;
  /** The Content-Type header as Express spells it, so that both paths send the same bytes. */
  readonly contentTypeHeader: string;
  /**
   * The body. It stays a string: Node writes a string body in the same packet as the head, a
   * Buffer in a second one (writev), which cost a fifth of the CPU under a flood. With a
   * spliced field, the body up to its value.
   */
  readonly body: string;
  /** Bytes of `body` (and `tail`). */
  readonly length: number;
  /** With a spliced field: the body after its value, and the check of a value. */
  readonly tail?: string;
  readonly check?: (value: unknown) => boolean;
}

interface CachedAnswer {
  readonly key: number | string;
  /** Undefined when the built answer failed its schema: the full stack answers (and logs) it. */
  readonly wire: Wire | undefined;
  /**
   * With a spliced field: the last value and the whole body with it. The value (the uptime to
   * the millisecond) is the same for the tens of requests a millisecond holds under a flood.
   */
  spliced?: { readonly value: unknown; readonly body: string; readonly length: number };
}

interface Route {
  readonly operation: OperationInfo;
  readonly source: SnapshotAnswerSource;
  /** The same for every answer of the operation (HTTP semantics): no-cache, or no-store with credentials. */
  readonly cacheControl: string;
  /** Lower-case header names the request may carry: the neutral ones and the operation's credential headers. */
  readonly headers: ReadonlySet<string>;
  /** The usual spellings of `headers`, to their lower-case names. */
  readonly spelled: ReadonlyMap<string, string>;
  /** For an operation that requires a credential: the kinds it accepts, in the spec's order. */
  readonly accepted: readonly CredentialKind[] | undefined;
  /** Response schema pointers by `<status> <content type>`. */
  readonly pointers: Map<string, string | undefined>;
  cached: CachedAnswer | undefined;
}

export interface FastPathInput {
  readonly answers: readonly SnapshotAnswerSource[];
  readonly operations: readonly OperationInfo[];
  readonly validator: SpecValidator;
  readonly requestLog: RequestLog;
  /** Absent: only public operations are answered here. */
  readonly identity?: Pick<IdentityService, 'reusable'>;
  /** Told once per operation and key when a built answer does not match the spec. */
  readonly onInvalid?: (operationId: string, errors: readonly string[]) => void;
}

export interface FastPath {
  /** Answers `req` and returns true, or returns false without touching `res`. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * The answer to a head the connection front read, for public operations: what handle()
   * would write, as header lines (the front adds the status line, Date and Connection as
   * Node does); undefined for the node:http way in.
   */
  answerHead(head: RequestHead): FrontAnswer | undefined;
  /** Requests answered here so far (tests check the fast path was taken at all). */
  answered(): number;
}

/** What one answer is made of, found by reply(). */
interface Reply {
  route: Route;
  wire: Wire;
  body: string;
  length: number;
}

/** What the fast path reads of a request's headers. */
interface HeaderScan {
  accept: string | undefined;
  requestId: string | undefined;
}

/**
 * Each name in lower case, Title-Case and upper case, to its lower-case form: the spellings
 * clients send, matched in rawHeaders without lowering every name.
 */
function spellings(names: Iterable<string>): ReadonlyMap<string, string> {
  const spelled = new Map<string, string>();
  for (const name of names) {
    const title = name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
    for (const spelling of [name, title, name.toUpperCase()]) spelled.set(spelling, name);
  }
  return spelled;
}

/**
 * Whether the request carries only headers from `allowed`, read from rawHeaders in one pass
 * into `scan`: req.headers is never built (Node builds it on first read), and no load here
 * depends on which headers a request brought (the header object's shape does, and requests
 * with other headers make such loads megamorphic for every request after them). A repeated
 * Accept or X-Request-Id, which req.headers would join, is left to the full stack.
 */
function scanHeaders(raw: readonly string[], spelled: ReadonlyMap<string, string>, allowed: ReadonlySet<string>, scan: HeaderScan): boolean {
  scan.accept = undefined;
  scan.requestId = undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = spelled.get(name) ?? name.toLowerCase();
    if (!allowed.has(lower)) return false;
    if (lower === 'accept') {
      if (scan.accept !== undefined) return false;
      scan.accept = raw[i + 1];
    } else if (lower === 'x-request-id') {
      if (scan.requestId !== undefined) return false;
      scan.requestId = raw[i + 1];
    }
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

const NO_COOKIES: Readonly<Record<string, string | undefined>> = Object.freeze(Object.create(null) as Record<string, string | undefined>);
/** Express's own cookie parser (the app's), run on the Cookie header alone: the same cookies as `req.cookies`. */
const parseCookies = cookieParser();

function cookiesOf(req: IncomingMessage): Readonly<Record<string, string | undefined>> {
  const header = req.headers.cookie;
  if (header === undefined) return NO_COOKIES;
  const holder = { headers: { cookie: header } } as unknown as Parameters<typeof parseCookies>[0];
  parseCookies(holder, undefined as unknown as Parameters<typeof parseCookies>[1], () => undefined);
  return holder.cookies as Record<string, string | undefined>;
}

/**
 * The same text, stored one byte per character where it can be. V8 keeps a string built from
 * two-byte pieces two-byte even when every character is ASCII, and the names in these bodies
 * are such pieces: the spec's YAML holds non-Latin-1 text, the names parsed from it are the
 * interned copies that every literal with the same name then shares. Writing a two-byte
 * string costs a UTF-16 flatten and transcode per answer (a twentieth of a probe's CPU).
 */
function compact(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** A placeholder for the spliced field's value, found again in the serialised body. */
const SPLICE_MARK = '\u0000vigil-fast-path-splice\u0000';

export function createFastPath(input: FastPathInput): FastPath {
  const { identity } = input;
  const routes = new Map<string, Route>();
  for (const source of input.answers) {
    const operation = input.operations.find((op) => op.operationId === source.operationId && op.method === 'get');
    // An operation the spec does not have (a fixture spec in tests) is simply not fast.
    if (!operation || operation.path.includes('{')) continue;
    const { security } = operation;
    // Optional credentials change the answer (status page, badges): never here.
    if (security.mode === 'optional' || (security.mode === 'required' && !identity)) continue;
    const accepted = security.mode === 'required' ? security.accepted : undefined;
    const headers = new Set<string>([...NEUTRAL_HEADERS, ...(accepted ?? []).flatMap((kind) => CREDENTIAL_HEADERS[kind])]);
    routes.set(operation.path, {
      operation,
      source,
      cacheControl: compact(cacheControlFor(operation)),
      headers,
      spelled: spellings(headers),
      accepted,
      pointers: new Map(),
      cached: undefined,
    });
  }

  function schemaPointer(route: Route, answer: PublicAnswer): string | undefined {
    const at = `${answer.status} ${answer.contentType}`;
    if (!route.pointers.has(at)) route.pointers.set(at, input.validator.responseSchemaPointer(route.operation, answer.status, answer.contentType));
    return route.pointers.get(at);
  }

  function build(route: Route, key: number | string): CachedAnswer {
    const answer = route.source.build();
    const pointer = schemaPointer(route, answer);
    const errors = pointer === undefined ? [`status ${answer.status} with ${answer.contentType} is not documented`] : input.validator.errorsAt(pointer, answer.body);
    if (errors.length > 0) {
      input.onInvalid?.(route.operation.operationId, errors);
      return { key, wire: undefined };
    }
    const { status, contentType } = answer;
    const contentTypeHeader = compact(`${contentType}; charset=utf-8`);
    const splice = route.source.splice;
    if (!splice) {
      const body = compact(contentType === 'application/json' ? JSON.stringify(answer.body) : String(answer.body));
      return { key, wire: { status, contentType, contentTypeHeader, body, length: Buffer.byteLength(body, 'utf8') } };
    }
    // The field's value is checked per request on its own schema; a schema that relates it to
    // the other fields (or a body that is not an object) cannot be spliced: the full stack answers.
    const check = pointer === undefined ? undefined : input.validator.propertyCheck(pointer, splice.property);
    const body = answer.body;
    if (!check || contentType !== 'application/json' || typeof body !== 'object' || body === null || Array.isArray(body) || !(splice.property in body)) {
      return { key, wire: undefined };
    }
    // Spreading keeps the field where it was (the same key order as res.json's output).
    const text = JSON.stringify({ ...(body as Record<string, unknown>), [splice.property]: SPLICE_MARK });
    const [head, tail, ...more] = text.split(JSON.stringify(SPLICE_MARK));
    if (head === undefined || tail === undefined || more.length > 0) return { key, wire: undefined };
    const length = Buffer.byteLength(head, 'utf8') + Buffer.byteLength(tail, 'utf8');
    return { key, wire: { status, contentType, contentTypeHeader, body: compact(head), tail: compact(tail), check, length } };
  }

  /**
   * The caller, when the identity service accepts the request's credential at once and the
   * operation admits the caller; else undefined (the full stack authenticates, and refuses).
   */
  function caller(req: IncomingMessage, route: Route, accepted: readonly CredentialKind[]): Principal | undefined {
    const ip = req.socket.remoteAddress;
    if (ip === undefined || !identity) return undefined;
    const carrier: CredentialCarrier = { headers: req.headers, cookies: accepted.includes('sessionCookie') ? cookiesOf(req) : NO_COOKIES, ip };
    const principal = identity.reusable(carrier, accepted);
    if (!principal) return undefined;
    // Express's req.ip follows X-Forwarded-For where server.trust_proxy says so: the address
    // that the Hasura secret's reuse is kept for is the socket's only without it. (Keys and
    // sessions do not depend on the address once accepted.)
    if (principal.via === 'hasuraAdminSecret' && req.headers['x-forwarded-for'] !== undefined) return undefined;
    return permits(route.operation, principal) ? principal : undefined;
  }

  /**
   * The answer to a GET or HEAD of `url` with `rawHeaders`, or undefined for the full stack:
   * the one decision both ways in (a node:http request, a head the connection front read) share.
   * `req` is there for an operation that needs a credential; without it only public ones answer.
   */
  function reply(method: string, url: string, rawHeaders: readonly string[], req: IncomingMessage | undefined): Reply | undefined {
    // The exact path, no query string: anything else is for the full stack to judge. HEAD is
    // the GET without its body (Node's response for a HEAD request sends none).
    const route = method === 'GET' || method === 'HEAD' ? routes.get(url) : undefined;
    if (!route || !scanHeaders(rawHeaders, route.spelled, route.headers, scan)) return undefined;
    if (route.accepted && (!req || !caller(req, route, route.accepted))) return undefined;
    const key = route.source.key();
    if (key === undefined) return undefined;
    if (route.cached?.key !== key) route.cached = build(route, key);
    const cached = route.cached;
    const wire = cached.wire;
    if (!wire || !acceptable(scan.accept, wire.contentType)) return undefined;
    let { body, length } = wire;
    if (wire.tail !== undefined) {
      const value = route.source.splice?.value();
      let spliced = cached.spliced;
      if (spliced === undefined || spliced.value !== value) {
        if (!wire.check?.(value)) return undefined;
        const text = JSON.stringify(value);
        spliced = cached.spliced = { value, body: `${body}${text}${wire.tail}`, length: length + Buffer.byteLength(text, 'utf8') };
      }
      ({ body, length } = spliced);
    }
    found.route = route;
    found.wire = wire;
    found.body = body;
    found.length = length;
    return found;
  }

  // One scan and one reply at a time: each caller uses them before it yields.
  const scan: HeaderScan = { accept: undefined, requestId: undefined };
  const found: Reply = { route: undefined as unknown as Route, wire: undefined as unknown as Wire, body: '', length: 0 };
  let answered = 0;
  return {
    answered: () => answered,
    handle(req, res) {
      const answer = reply(req.method ?? '', req.url ?? '', req.rawHeaders, req);
      if (!answer) return false;
      const { route, wire, body, length } = answer;
      const { requestLog } = input;
      const logged = requestLog.logs(wire.status, route.operation.operationId);
      const startedAt = logged ? performance.now() : 0;
      const id = requestLog.idFrom(scan.requestId);
      // One writeHead (merged with what was set already: Connection: close while closing).
      res.writeHead(wire.status, {
        'X-Request-Id': id,
        'Content-Type': wire.contentTypeHeader,
        'Content-Length': length,
        'Cache-Control': route.cacheControl,
      });
      res.end(body);
      if (logged) requestLog.record(req, res, id, startedAt, route.operation.operationId);
      answered += 1;
      return true;
    },
    answerHead(head) {
      const answer = reply(head.method, head.target, head.rawHeaders, undefined);
      // A line to log is written by the node:http way in, which has the request and response it reads.
      if (!answer || input.requestLog.logs(answer.wire.status, answer.route.operation.operationId)) return undefined;
      const { route, wire, body, length } = answer;
      answered += 1;
      return {
        status: wire.status,
        // The headers as writeHead above writes them, in its order.
        headers: `X-Request-Id: ${input.requestLog.idFrom(scan.requestId)}\r\nContent-Type: ${wire.contentTypeHeader}\r\nContent-Length: ${length}\r\nCache-Control: ${route.cacheControl}\r\n`,
        body: head.method === 'HEAD' ? '' : body,
      };
    },
  };
}

/** The server's request listener: the fast path first, the Express app for everything else. */
export function withFastPath(fastPath: FastPath, app: RequestListener): RequestListener {
  return (req, res) => {
    if (!fastPath.handle(req, res)) app(req, res);
  };
}
