// The OpenAPI document, bundled once from the multi-file openapi/ tree into one object, and
// the operation table every other platform module reads (routes, auth, error family).
import { join } from 'node:path';
import { bundle } from '@apidevtools/json-schema-ref-parser';
import { stringify } from 'yaml';
import { API_FAMILIES, type ApiFamily } from './errors.ts';
import { ROLES, type CredentialKind, type Role } from '../identity/types.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

export const DEFAULT_SPEC_PATH = join(PACKAGE_ROOT, 'openapi', 'openapi.yaml');

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type SpecDocument = Readonly<Record<string, unknown>>;

/**
 * How an operation is protected. `public`: no credential is read. `optional`: a credential is
 * used when presented (e.g. to show admin-only fields) but none is required.
 */
export type OperationSecurity =
  | { readonly mode: 'public' }
  | { readonly mode: 'required' | 'optional'; readonly accepted: readonly CredentialKind[] };

export interface OperationInfo {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** The OpenAPI path template, e.g. `/items/{id}`. */
  readonly path: string;
  /** The same path in Express 5 syntax, e.g. `/items/:id`. */
  readonly expressPath: string;
  readonly family: ApiFamily;
  readonly security: OperationSecurity;
  readonly minRole: Role | undefined;
  readonly scope: string | undefined;
  /** Documented response keys: `200`, `4XX`, `default`... */
  readonly statuses: readonly string[];
  /** Does the operation document a request body? Bodies of other operations are never parsed. */
  readonly hasRequestBody: boolean;
  /**
   * The credential fields (`AdminAPIKey`, `SessionID`, `APIKey`) its JSON request body
   * documents: only these are read from a body, and only on this operation (000's POST).
   */
  readonly bodyCredentialFields: readonly BodyCredentialField[];
  /** Matches a request path (case-insensitive, optional trailing slash, like Express). */
  readonly pattern: RegExp;
}

export interface LoadedSpec {
  /** The bundled document: one object, internal `$ref`s only. Treat as read-only. */
  readonly document: SpecDocument;
  readonly json: string;
  readonly yaml: string;
  readonly operations: readonly OperationInfo[];
}

/** Security scheme name in openapi.yaml -> the credential identity checks. */
const SCHEME_KINDS: Readonly<Record<string, CredentialKind | null>> = {
  adminApiKey: 'adminApiKey',
  apiKey: 'apiKey',
  bearerJwt: 'bearerJwt',
  sessionCookie: 'sessionCookie',
  hasuraAdminSecret: 'hasuraAdminSecret',
  setupToken: 'setupToken',
  // Travels with hasuraAdminSecret; the authenticator reads both headers.
  hasuraRole: null,
};

export const BODY_CREDENTIAL_FIELDS = ['AdminAPIKey', 'SessionID', 'APIKey'] as const;
export type BodyCredentialField = (typeof BODY_CREDENTIAL_FIELDS)[number];

const cache = new Map<string, Promise<LoadedSpec>>();

/** The bundled spec at `specPath`, loaded once per process. */
export function loadSpec(specPath: string = DEFAULT_SPEC_PATH): Promise<LoadedSpec> {
  let loaded = cache.get(specPath);
  if (!loaded) {
    loaded = bundleSpec(specPath);
    cache.set(specPath, loaded);
    loaded.catch(() => cache.delete(specPath));
  }
  return loaded;
}

async function bundleSpec(specPath: string): Promise<LoadedSpec> {
  const document = (await bundle(specPath)) as Record<string, unknown>;
  deepFreeze(document);
  return {
    document,
    json: JSON.stringify(document, null, 2),
    yaml: stringify(document, { aliasDuplicateObjects: false }),
    operations: listOperations(document),
  };
}

function deepFreeze(value: unknown): void {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every operation of a bundled document; throws naming the operation when one is malformed. */
export function listOperations(document: SpecDocument): OperationInfo[] {
  const paths = isRecord(document.paths) ? document.paths : {};
  const schemes = isRecord(document.components) && isRecord(document.components.securitySchemes)
    ? Object.keys(document.components.securitySchemes)
    : [];
  const operations: OperationInfo[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = resolvePointer(document, rawItem);
    if (!isRecord(item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isRecord(operation)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const operationId = operation.operationId;
      if (typeof operationId !== 'string' || operationId === '') {
        throw new Error(`openapi: ${where} has no operationId`);
      }
      const label = `openapi: operation ${operationId} (${where})`;
      operations.push({
        operationId,
        method,
        path,
        expressPath: toExpressPath(path),
        family: familyOfTags(operation.tags, label),
        security: securityOf(operation.security ?? document.security, schemes, label),
        minRole: minRoleOf(operation['x-vigil-min-role'], label),
        scope: scopeOf(operation['x-vigil-scope'], label),
        statuses: isRecord(operation.responses) ? Object.keys(operation.responses) : [],
        hasRequestBody: operation.requestBody !== undefined,
        bodyCredentialFields: bodyCredentialFieldsOf(document, operation.requestBody),
        pattern: toPattern(path),
      });
    }
  }
  const seen = new Set<string>();
  for (const { operationId } of operations) {
    if (seen.has(operationId)) throw new Error(`openapi: operationId ${operationId} is used twice`);
    seen.add(operationId);
  }
  return operations;
}

/**
 * The names of every query parameter the document declares (on a path or an operation). The
 * request log shows their values; none of them is a secret (credentials travel in headers,
 * cookies and 000's body only).
 */
export function documentedQueryParameters(document: SpecDocument): ReadonlySet<string> {
  const names = new Set<string>();
  const paths = isRecord(document.paths) ? document.paths : {};
  const collect = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const raw of list) {
      const parameter = resolvePointer(document, raw);
      if (isRecord(parameter) && parameter.in === 'query' && typeof parameter.name === 'string') names.add(parameter.name);
    }
  };
  for (const rawItem of Object.values(paths)) {
    const item = resolvePointer(document, rawItem);
    if (!isRecord(item)) continue;
    collect(item.parameters);
    for (const method of HTTP_METHODS) if (isRecord(item[method])) collect((item[method] as Record<string, unknown>).parameters);
  }
  return names;
}

/** Follows a local `$ref` (bundling may leave a path item as a pointer to another one). */
export function resolvePointer(document: SpecDocument, value: unknown): unknown {
  let current = value;
  for (let hops = 0; hops < 20 && isRecord(current) && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith('#')) return current;
    let target: unknown = document;
    for (const raw of ref.slice(1).split('/').filter(Boolean)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isRecord(target) || Array.isArray(target) ? (target as Record<string, unknown>)[key] : undefined;
    }
    current = target;
  }
  return current;
}

function bodyCredentialFieldsOf(document: SpecDocument, requestBody: unknown): BodyCredentialField[] {
  const body = resolvePointer(document, requestBody);
  const content = isRecord(body) && isRecord(body.content) ? body.content['application/json'] : undefined;
  const schema = isRecord(content) ? resolvePointer(document, content.schema) : undefined;
  const properties = isRecord(schema) && isRecord(schema.properties) ? schema.properties : {};
  return BODY_CREDENTIAL_FIELDS.filter((field) => field in properties);
}

function familyOfTags(tags: unknown, label: string): ApiFamily {
  const first = Array.isArray(tags) ? tags[0] : undefined;
  if (typeof first === 'string' && (API_FAMILIES as readonly string[]).includes(first)) return first as ApiFamily;
  throw new Error(`${label}: its first tag must be one of ${API_FAMILIES.join(', ')} (found ${JSON.stringify(first)})`);
}

function securityOf(security: unknown, schemes: readonly string[], label: string): OperationSecurity {
  if (security === undefined || security === null) return { mode: 'public' };
  if (!Array.isArray(security)) throw new Error(`${label}: security must be a list`);
  if (security.length === 0) return { mode: 'public' };
  const accepted = new Set<CredentialKind>();
  let anonymousAllowed = false;
  for (const requirement of security) {
    if (!isRecord(requirement)) throw new Error(`${label}: each security requirement must be an object`);
    const names = Object.keys(requirement);
    if (names.length === 0) anonymousAllowed = true;
    for (const name of names) {
      if (!schemes.includes(name) || !(name in SCHEME_KINDS)) {
        throw new Error(`${label}: security scheme "${name}" is not one of ${Object.keys(SCHEME_KINDS).join(', ')}`);
      }
      const kind = SCHEME_KINDS[name];
      if (kind) accepted.add(kind);
      else if (name === 'hasuraRole') accepted.add('hasuraAdminSecret');
    }
  }
  if (accepted.size === 0) return { mode: 'public' };
  return { mode: anonymousAllowed ? 'optional' : 'required', accepted: [...accepted] };
}

function minRoleOf(value: unknown, label: string): Role | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new Error(`${label}: x-vigil-min-role must be one of ${ROLES.join(', ')}`);
}

function scopeOf(value: unknown, label: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  throw new Error(`${label}: x-vigil-scope must be a non-empty string`);
}

const PARAM = /\{([^}]+)\}/g;

/** `/items/{id}` -> `/items/:id` (Express 5 / path-to-regexp 8; odd names are quoted). */
export function toExpressPath(path: string): string {
  let out = '';
  let last = 0;
  for (const match of path.matchAll(PARAM)) {
    out += path.slice(last, match.index).replace(/[()[\]?+!*:{}\\]/g, '\\$&');
    const name = match[1] ?? '';
    out += /^[A-Za-z_$][\w$]*$/.test(name) ? `:${name}` : `:${JSON.stringify(name)}`;
    last = match.index + match[0].length;
  }
  return out + path.slice(last).replace(/[()[\]?+!*:{}\\]/g, '\\$&');
}

function toPattern(path: string): RegExp {
  const source = path
    .split(PARAM)
    .map((part, index) => (index % 2 === 1 ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`, 'i');
}

/** The operation a request is for, or undefined (HEAD is answered by GET, as in Express). */
export function findOperation(
  operations: readonly OperationInfo[],
  method: string,
  path: string,
): OperationInfo | undefined {
  const wanted = method.toLowerCase() === 'head' ? ['head', 'get'] : [method.toLowerCase()];
  for (const candidate of wanted) {
    // A literal segment beats a parameter (`/items/new` before `/items/{id}`), as in Express.
    const found = operations
      .filter((op) => op.method === candidate && op.pattern.test(path))
      .sort((a, b) => paramCount(a.path) - paramCount(b.path))[0];
    if (found) return found;
  }
  return undefined;
}

export type OperationMatcher = (method: string, path: string) => OperationInfo | undefined;

/**
 * `findOperation` precompiled for a request path: literal paths from a map (case-insensitive,
 * optional trailing slash), templated ones by their patterns. The app matches each request
 * once with this and keeps the answer in `res.locals.operation`.
 */
export function createOperationMatcher(operations: readonly OperationInfo[]): OperationMatcher {
  const literal = new Map<string, OperationInfo>();
  const templated: OperationInfo[] = [];
  for (const op of operations) {
    if (op.path.includes('{')) templated.push(op);
    else literal.set(`${op.method} ${op.path.toLowerCase()}`, op);
  }
  templated.sort((a, b) => paramCount(a.path) - paramCount(b.path));
  const lookup = (method: string, path: string): OperationInfo | undefined => {
    let key = path.toLowerCase();
    if (key.length > 1 && key.endsWith('/')) key = key.slice(0, -1);
    return literal.get(`${method} ${key}`) ?? templated.find((op) => op.method === method && op.pattern.test(path));
  };
  return (method, path) => {
    const lower = method.toLowerCase();
    return lookup(lower, path) ?? (lower === 'head' ? lookup('get', path) : undefined);
  };
}

/** Does `op` document `status` (exactly, as `4XX`, or through `default`)? */
export function documentsStatus(op: OperationInfo, status: number): boolean {
  const code = String(status);
  return op.statuses.some((key) => key === code || key === `${code[0]}XX` || key === 'default');
}

function paramCount(path: string): number {
  return path.split('{').length - 1;
}

/** Operations on the same path whatever the method (for 405s and the error family). */
export function operationsOnPath(operations: readonly OperationInfo[], path: string): OperationInfo[] {
  return operations.filter((op) => op.pattern.test(path));
}
