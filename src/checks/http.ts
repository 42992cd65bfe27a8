// `http`: one request to a URL (front ends, containers, SFTPGo, external integrations), over
// the probes' own HTTP/1.1 client (http-client.ts) rather than fetch: it takes a CA bundle
// (self-signed internal services) and reads the peer certificate off the connection that
// answered, so one connection answers everything.
import type { HttpDetails } from './details.ts';
import { createProbePool, isJsonType, prepareRequest, releaseProbePool, type HttpResponse, type PreparedRequest, type ProbePool, type TlsSettings } from './http-client.ts';
import { z } from 'zod';
import { kindOptions, option, readOptions } from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { ProbeError, CheckConfigError, CheckFailure, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

/** A JSON body is kept in the details only up to this size. */
const MAX_JSON_DETAIL_BYTES = 64 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

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
  let request: PreparedRequest;
  try {
    request = prepareRequest({ url, method, headers: read.headers, body: read.body });
  } catch (error) {
    throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "headers": ${(error as Error).message}`);
  }
  return new HttpCheck({
    url,
    request,
    tls: { ca: read.ca_file, rejectUnauthorized: !read.tls_insecure },
    expected,
    bodyContains,
    rawJsonPath,
    jsonPath,
    equals,
    minCertificateDays: read.certificate_min_days,
    shownUrl: displayUrl(url.toString()),
    expectedText: expected ? expected.join(' or ') : '2xx',
  });
}

interface HttpSettings {
  readonly url: URL;
  /** The request's bytes, made once. */
  readonly request: PreparedRequest;
  readonly tls: TlsSettings;
  readonly expected: readonly number[] | undefined;
  readonly bodyContains: string | undefined;
  readonly rawJsonPath: string | undefined;
  readonly jsonPath: readonly (string | number)[] | undefined;
  readonly equals: Scalar | undefined;
  readonly minCertificateDays: number;
  readonly shownUrl: string;
  readonly expectedText: string;
}

// A class rather than closures: one check per source, and at 20,000 sources the closures and
// their context were megabytes of heap (issue 10).
class HttpCheck implements Check<'http'> {
  readonly kind = 'http';
  private pool: ProbePool;

  constructor(private readonly settings: HttpSettings) {
    this.pool = createProbePool(settings.url, settings.tls);
  }

  async run(signal: AbortSignal): Promise<CheckOutcome<HttpDetails>> {
    const { request, expected, bodyContains, rawJsonPath, jsonPath, equals, minCertificateDays, shownUrl, expectedText } = this.settings;
    const { method } = request;
    // The body matters to body_contains and json_path; otherwise only a JSON one is kept (in the details).
    const jsonBodyOnly = bodyContains === undefined && jsonPath === undefined;
    let response: HttpResponse;
    try {
      response = await this.pool.request({ request, signal, jsonBodyOnly });
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
    releaseProbePool(this.pool);
    this.pool = createProbePool(this.settings.url, this.settings.tls);
  }

  async close(): Promise<void> {
    releaseProbePool(this.pool);
  }
}
