// `http`: one request to a URL (front ends, containers, SFTPGo, external integrations).
// node:http(s) rather than fetch: it takes a CA bundle (self-signed internal services) and the
// response's own socket carries the peer certificate, so one connection answers everything.
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { HttpDetails } from './details.ts';
import {
  optionalBoolean,
  optionalFileText,
  optionalNumber,
  optionalString,
  optionalStringMap,
  requiredUrl,
} from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { ProbeError, CheckConfigError, CheckFailure, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

/** Bodies up to this size are read (for `body_contains` and `json_path`); the rest is dropped. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A JSON body is kept in the details only up to this size. */
const MAX_JSON_DETAIL_BYTES = 64 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const DAY_MS = 86_400_000;

type Scalar = string | number | boolean | null;

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
}

function daysLeft(socket: unknown): number | null {
  const tls = socket as Partial<TLSSocket> | null;
  if (!tls || typeof tls.getPeerCertificate !== 'function') return null;
  const validTo = tls.getPeerCertificate().valid_to;
  const expires = validTo ? Date.parse(validTo) : Number.NaN;
  return Number.isNaN(expires) ? null : Math.floor((expires - Date.now()) / DAY_MS);
}

/** A connection per probe, so nothing idles between runs and no idle socket fails a probe. */
export function createProbeAgent(url: URL): http.Agent {
  return url.protocol === 'https:' ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
}

/**
 * One request. Unlike fetch (whose abort leaves the socket open here), aborting `signal`
 * destroys the socket at once: a dependency that never answers keeps nothing of ours.
 */
export function httpRequest(input: HttpRequestInput): Promise<HttpResponse> {
  const secure = input.url.protocol === 'https:';
  const tls = secure ? { ca: input.ca, rejectUnauthorized: input.rejectUnauthorized ?? true } : {};
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      input.url,
      { method: input.method ?? 'GET', headers: input.headers, agent: input.agent, signal: input.signal, ...tls },
      (res) => {
        const certificateDaysLeft = secure ? daysLeft(res.socket) : null;
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (): void =>
          resolve({
            statusCode: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks),
            certificateDaysLeft,
          });
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
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(input.body);
  });
}

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

function expectedStatuses(def: SourceDefinition): readonly number[] | undefined {
  const value = def.options.expected_status;
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((code) => !Number.isInteger(code) || (code as number) < 100 || (code as number) > 599)) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "expected_status" must be an HTTP status code or a list of them`);
  }
  return list as number[];
}

function scalarOption(def: SourceDefinition, key: string): Scalar | undefined {
  const value = def.options[key];
  if (value === undefined) return undefined;
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as Scalar;
  throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "${key}" must be a string, number, boolean or null`);
}

export function createHttpCheck(def: SourceDefinition): Check<'http'> {
  const url = requiredUrl(def, 'url', ['http:', 'https:']);
  const method = (optionalString(def, 'method') ?? 'GET').toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "method" must be one of ${METHODS.join(', ')}`);
  }
  const headers = optionalStringMap(def, 'headers');
  const requestBody = optionalString(def, 'body');
  const expected = expectedStatuses(def);
  const bodyContains = optionalString(def, 'body_contains');
  const rawJsonPath = optionalString(def, 'json_path');
  const jsonPath = rawJsonPath === undefined ? undefined : parseJsonPath(rawJsonPath);
  if (rawJsonPath !== undefined && !jsonPath) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "json_path" must look like $.status.ok or $.items[0].name`);
  }
  const equals = scalarOption(def, 'equals');
  if (equals !== undefined && !jsonPath) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "equals" needs "json_path"`);
  }
  const ca = optionalFileText(def, 'ca_file');
  const rejectUnauthorized = !optionalBoolean(def, 'tls_insecure', false);
  const minCertificateDays = optionalNumber(def, 'certificate_min_days', 0);
  const shownUrl = displayUrl(url.toString());
  const expectedText = expected ? expected.join(' or ') : '2xx';
  let agent = createProbeAgent(url);

  return {
    kind: 'http',
    async run(signal): Promise<CheckOutcome<HttpDetails>> {
      let response: HttpResponse;
      try {
        response = await httpRequest({ url, method, headers, body: requestBody, signal, agent, ca, rejectUnauthorized });
      } catch (error) {
        const reason = error instanceof Error ? error.message || error.name : String(error);
        throw new ProbeError({ phase: 'request', message: `http: ${method} ${shownUrl} failed`, detail: reason });
      }
      const isJson = /[/+]json\b/i.test(response.contentType);
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
    },
    async reset() {
      agent.destroy();
      agent = createProbeAgent(url);
    },
    async close() {
      agent.destroy();
    },
  };
}
