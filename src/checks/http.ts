// `http`: one request to a URL (front ends, containers, SFTPGo, external integrations).
// node:http(s) rather than fetch: it takes a CA bundle (self-signed internal services) and the
// response's own socket carries the peer certificate, so one connection answers everything.
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { HttpDetails } from './details.ts';
import { z } from 'zod';
import { kindOptions, option, readOptions } from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { ProbeError, CheckConfigError, CheckFailure, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

/** Bodies up to this size are read (for `body_contains` and `json_path`); the rest is dropped. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A JSON body is kept in the details only up to this size. */
const MAX_JSON_DETAIL_BYTES = 64 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const DAY_MS = 86_400_000;

type Scalar = string | number | boolean | null;

const isStatus = (code: unknown): code is number => Number.isInteger(code) && (code as number) >= 100 && (code as number) <= 599;
const STATUS_HINT = 'an HTTP status code or a list of them';
const SCALAR_HINT = 'a string, number, boolean or null';

export const httpOptions = kindOptions(
  'An HTTP(S) endpoint (front ends, containers, SFTPGo, integrations): the status code, optionally a body text or a JSON value, and the days left on the TLS certificate.',
  {
    url: option.url(['http:', 'https:'], 'The endpoint: an `http://` or `https://` URL.'),
    method: option.string(`Request method, one of ${METHODS.join(', ')} (default GET).`),
    headers: option.stringMap('Request headers, name to value (values may be secrets: `{ env: NAME }`).'),
    body: option.string('Request body, sent as is.'),
    expected_status: z
      .custom<number | readonly number[]>((value) => isStatus(value) || (Array.isArray(value) && value.length > 0 && value.every(isStatus)), {
        error: STATUS_HINT,
      })
      .optional()
      .meta({
        description: 'The status code, or list of codes, that counts as up (default: any 2xx).',
        anyOf: [
          { type: 'integer', minimum: 100, maximum: 599 },
          { type: 'array', items: { type: 'integer', minimum: 100, maximum: 599 }, minItems: 1 },
        ],
      }),
    body_contains: option.string('Text the body must contain.'),
    json_path: option.string('A value in the JSON body that must hold, written `$.status.ok` or `$.items[0].name`: it must equal `equals`, or without `equals` be present and neither false nor null.'),
    equals: z
      .union([z.string({ error: SCALAR_HINT }), z.number({ error: SCALAR_HINT }), z.boolean({ error: SCALAR_HINT }), z.null({ error: SCALAR_HINT })], {
        error: SCALAR_HINT,
      })
      .optional()
      .meta({ description: 'The value `json_path` must have (a string, number, boolean or null).' }),
    ca_file: option.fileText('Path of a PEM bundle of the certificate authorities to trust.'),
    tls_insecure: option.boolean(false, 'True skips verifying the server certificate (its days left are still reported).'),
    certificate_min_days: option.number(0, 'Fewer days left on the TLS certificate than this makes the source degraded.'),
  },
);

export interface HttpResponse {
  readonly statusCode: number;
  readonly contentType: string;
  /** At most MAX_BODY_BYTES of the body. */
  readonly body: Buffer;
  /** Days until the peer certificate expires; null over plain HTTP. */
  readonly certificateDaysLeft: number | null;
}

export interface HttpRequestInput {
  readonly url: URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  readonly agent: http.Agent;
  readonly ca?: string;
  readonly rejectUnauthorized?: boolean;
  /**
   * True: only a JSON body is kept; any other is read off the socket and dropped (`body` is
   * empty), so a probe that looks at the status code alone retains nothing of the answer.
   */
  readonly jsonBodyOnly?: boolean;
}

function daysLeft(socket: unknown): number | null {
  const tls = socket as Partial<TLSSocket> | null;
  if (!tls || typeof tls.getPeerCertificate !== 'function') return null;
  const validTo = tls.getPeerCertificate().valid_to;
  const expires = validTo ? Date.parse(validTo) : Number.NaN;
  return Number.isNaN(expires) ? null : Math.floor((expires - Date.now()) / DAY_MS);
}

/**
 * How long a kept-alive probe connection may sit unused: below the 5 s keep-alive of common
 * servers (Node's included), so Vigil closes it before the server does.
 */
export const FREE_SOCKET_MS = 4_000;

const sharedAgents = new Map<string, { readonly agent: http.Agent; users: number }>();

/**
 * The probe connections of one origin, kept alive and shared by every source of that origin
 * (Node's agent keeps separate pools per TLS setting, so a CA or tls_insecure never leaks from
 * one source to another). Thousands of sources on one service are thousands of probes a
 * minute: a connection per probe spent the core on TCP set-up and tear-down and made the
 * schedule late (issue 10). Each user gives it back with releaseProbeAgent.
 */
export function createProbeAgent(url: URL): http.Agent {
  let entry = sharedAgents.get(url.origin);
  if (!entry) {
    const options = { keepAlive: true, timeout: FREE_SOCKET_MS };
    entry = { agent: url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options), users: 0 };
    sharedAgents.set(url.origin, entry);
  }
  entry.users += 1;
  return entry.agent;
}

/** Gives an agent of createProbeAgent back; the last user closes its connections. */
export function releaseProbeAgent(agent: http.Agent): void {
  for (const [origin, entry] of sharedAgents) {
    if (entry.agent !== agent) continue;
    entry.users -= 1;
    if (entry.users <= 0) {
      sharedAgents.delete(origin);
      agent.destroy();
    }
    return;
  }
  agent.destroy();
}

/**
 * One request. Unlike fetch (whose abort leaves the socket open here), aborting `signal`
 * destroys the socket at once: a dependency that never answers keeps nothing of ours.
 */
export function httpRequest(input: HttpRequestInput): Promise<HttpResponse> {
  return sendRequest(input, input.agent);
}

/** `agent` false: a connection of its own (the one retry of a request a reused socket dropped). */
function sendRequest(input: HttpRequestInput, agent: http.Agent | false): Promise<HttpResponse> {
  const secure = input.url.protocol === 'https:';
  const tls = secure ? { ca: input.ca, rejectUnauthorized: input.rejectUnauthorized ?? true } : {};
  const { signal } = input;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    let answered = false;
    // One abort listener, removed once settled, instead of `signal` in the request options:
    // node's own handling of it (an end-of-stream watcher per request) was a tenth of a probe.
    const onAbort = (): void => {
      req.destroy(abortError(signal));
    };
    const settle = <T>(action: (value: T) => void, value: T): void => {
      signal.removeEventListener('abort', onAbort);
      action(value);
    };
    const req = (secure ? https : http).request(input.url, { method: input.method ?? 'GET', headers: input.headers, agent, ...tls }, (res) => {
      answered = true;
      const certificateDaysLeft = secure ? daysLeft(res.socket) : null;
      const contentType = String(res.headers['content-type'] ?? '');
      const answer = (body: Buffer): HttpResponse => ({ statusCode: res.statusCode ?? 0, contentType, body, certificateDaysLeft });
      res.on('error', (error) => settle(reject, error));
      if (input.jsonBodyOnly && !isJsonType(contentType)) {
        // Nothing reads it: drain the socket for the next probe and keep nothing.
        res.on('end', () => settle(resolve, answer(EMPTY_BODY)));
        res.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => settle(resolve, answer(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) {
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
    });
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed while it sat unused: the request never
      // reached the service, so a GET or HEAD is sent once more on a new connection (as
      // browsers do).
      const dropped = error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up';
      const idempotent = (input.method ?? 'GET') === 'GET' || input.method === 'HEAD';
      if (!answered && req.reusedSocket && dropped && idempotent && agent !== false && !signal.aborted) {
        settle(resolve, sendRequest(input, false));
        return;
      }
      settle(reject, error);
    });
    req.end(input.body);
  });
}

const EMPTY_BODY = Buffer.alloc(0);

/** What node's request rejects with when its signal aborts (an AbortError carrying the reason). */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

// One object: a regular expression literal inside the function made a new one per call.
const JSON_TYPE = /[/+]json\b/i;
const isJsonType = (contentType: string): boolean => JSON_TYPE.test(contentType);

/** `$.a.b[0].c` -> ['a', 'b', 0, 'c']; undefined when the path is not of that tiny form. */
export function parseJsonPath(path: string): readonly (string | number)[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const rest = path.slice(1);
  const segments: (string | number)[] = [];
  const token = /\.([^.[\]]+)|\[(\d+)\]/y;
  while (token.lastIndex < rest.length) {
    const match = token.exec(rest);
    if (!match) return undefined;
    segments.push(match[1] !== undefined ? (/^\d+$/.test(match[1]) ? Number(match[1]) : match[1]) : Number(match[2]));
  }
  return segments;
}

export function readJsonPath(value: unknown, segments: readonly (string | number)[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function createHttpCheck(def: SourceDefinition): Check<'http'> {
  const read = readOptions(def, httpOptions);
  const url = read.url;
  const method = (read.method ?? 'GET').toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "method" must be one of ${METHODS.join(', ')}`);
  }
  const headers = read.headers;
  const requestBody = read.body;
  const expected = read.expected_status === undefined ? undefined : [read.expected_status].flat();
  const bodyContains = read.body_contains;
  const rawJsonPath = read.json_path;
  const jsonPath = rawJsonPath === undefined ? undefined : parseJsonPath(rawJsonPath);
  if (rawJsonPath !== undefined && !jsonPath) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "json_path" must look like $.status.ok or $.items[0].name`);
  }
  const equals: Scalar | undefined = read.equals;
  if (equals !== undefined && !jsonPath) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "equals" needs "json_path"`);
  }
  const ca = read.ca_file;
  const rejectUnauthorized = !read.tls_insecure;
  const minCertificateDays = read.certificate_min_days;
  return new HttpCheck({
    url,
    method,
    headers,
    requestBody,
    expected,
    bodyContains,
    rawJsonPath,
    jsonPath,
    equals,
    ca,
    rejectUnauthorized,
    minCertificateDays,
    shownUrl: displayUrl(url.toString()),
    expectedText: expected ? expected.join(' or ') : '2xx',
  });
}

interface HttpSettings {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly requestBody: string | undefined;
  readonly expected: readonly number[] | undefined;
  readonly bodyContains: string | undefined;
  readonly rawJsonPath: string | undefined;
  readonly jsonPath: readonly (string | number)[] | undefined;
  readonly equals: Scalar | undefined;
  readonly ca: string | undefined;
  readonly rejectUnauthorized: boolean;
  readonly minCertificateDays: number;
  readonly shownUrl: string;
  readonly expectedText: string;
}

// A class rather than closures: one check per source, and at 20,000 sources the closures and
// their context were megabytes of heap (issue 10).
class HttpCheck implements Check<'http'> {
  readonly kind = 'http';
  private agent: http.Agent;

  constructor(private readonly settings: HttpSettings) {
    this.agent = createProbeAgent(settings.url);
  }

  async run(signal: AbortSignal): Promise<CheckOutcome<HttpDetails>> {
    const { url, method, headers, requestBody, expected, bodyContains, rawJsonPath, jsonPath, equals, ca, rejectUnauthorized, minCertificateDays, shownUrl, expectedText } =
      this.settings;
    const { agent } = this;
    // The body matters to body_contains and json_path; otherwise only a JSON one is kept (in the details).
    const jsonBodyOnly = bodyContains === undefined && jsonPath === undefined;
    let response: HttpResponse;
    try {
      response = await httpRequest({ url, method, headers, body: requestBody, signal, agent, ca, rejectUnauthorized, jsonBodyOnly });
    } catch (error) {
      const reason = error instanceof Error ? error.message || error.name : String(error);
      throw new ProbeError({ phase: 'request', message: `http: ${method} ${shownUrl} failed`, detail: reason });
    }
    const isJson = isJsonType(response.contentType);
    let parsed: { value: unknown } | undefined;
    if (isJson || jsonPath) {
      try {
        parsed = { value: JSON.parse(response.body.toString('utf8')) };
      } catch {
        parsed = undefined;
      }
    }
    const details = {
      url: shownUrl,
      status_code: response.statusCode,
      certificate_days_left: response.certificateDaysLeft,
      ...(isJson && parsed && response.body.length <= MAX_JSON_DETAIL_BYTES ? { json: parsed.value } : {}),
    } satisfies HttpDetails;

    const statusOk = expected ? expected.includes(response.statusCode) : response.statusCode >= 200 && response.statusCode < 300;
    if (!statusOk) {
      throw new CheckFailure(`http: ${method} ${shownUrl} answered ${response.statusCode} (expected ${expectedText})`, details);
    }
    if (bodyContains !== undefined && !response.body.toString('utf8').includes(bodyContains)) {
      throw new CheckFailure(`http: body of ${shownUrl} does not contain ${JSON.stringify(bodyContains)}`, details);
    }
    if (jsonPath) {
      if (!parsed) throw new CheckFailure(`http: body of ${shownUrl} is not JSON (json_path ${rawJsonPath})`, details);
      const value = readJsonPath(parsed.value, jsonPath);
      const holds = equals !== undefined ? value === equals : value !== undefined && value !== null && value !== false;
      if (!holds) {
        const wanted = equals !== undefined ? JSON.stringify(equals) : 'a value other than false or null';
        const got = value === undefined ? 'missing' : JSON.stringify(value);
        throw new CheckFailure(`http: ${rawJsonPath} is ${got} (expected ${wanted})`, details);
      }
    }
    if (response.certificateDaysLeft !== null && response.certificateDaysLeft < minCertificateDays) {
      return {
        status: 'degraded',
        message: `http: TLS certificate of ${shownUrl} expires in ${response.certificateDaysLeft} days`,
        details,
      };
    }
    return { details };
  }

  async reset(): Promise<void> {
    // A run cut short destroyed its own socket; the shared pool keeps the others' sockets.
    releaseProbeAgent(this.agent);
    this.agent = createProbeAgent(this.settings.url);
  }

  async close(): Promise<void> {
    releaseProbeAgent(this.agent);
  }
}
