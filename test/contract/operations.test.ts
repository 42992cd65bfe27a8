// Walks every operation of the bundled spec and calls it through the generated SDK function
// of the same name against the real app (real families, store, identity, engine), with the
// credentials the operation asks for. Each answer must carry a documented status, pass the
// response validator (no response-validation 500) and match the documented schema for that
// status, including 5xx answers the validator does not look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../generated/client/index.ts';
import * as sdk from '../../generated/sdk.gen.ts';
import { documentsStatus, loadSpec, type OperationInfo } from '../../src/http/spec.ts';
import type { CredentialKind } from '../../src/identity/types.ts';
import { createApiKey, createUser, signHs256Jwt } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createSpecValidator, type SpecValidator } from '../support/openapi.ts';

const JWT_SECRET = 'contract-test-jwt-secret-0123456789abcdef';
const HASURA_SECRET = 'contract-test-hasura-secret';
const USER = { username: 'contract-owner', password: 'contract owner password 1' };
const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

const { operations } = await loadSpec();

let app: TestApp;
let spec: SpecValidator;
let adminKey: string;
let apiKey: string;
let jwt: string;
let setupToken: string;

beforeAll(async () => {
  spec = await createSpecValidator();
  app = await startTestApp({
    sources: [{ name: 'host', kind: 'resources', critical: false }],
    config: { auth: { jwt: { secret: JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined, roleClaim: 'role' }, hasuraAdminSecret: HASURA_SECRET } },
  });
  const { store } = app.deps;
  await createUser(store, { ...USER, role: 'owner', scrypt: CHEAP_SCRYPT });
  adminKey = (await createApiKey(store, { name: 'contract-admin', role: 'owner', admin: true, scopes: ['*'] })).key;
  apiKey = (await createApiKey(store, { name: 'contract-key', role: 'owner', scopes: ['*'] })).key;
  setupToken = app.deps.identity.setupTokens.issue();
  jwt = await signHs256Jwt({ secret: JWT_SECRET, role: 'owner', roleClaim: 'role', claims: { sub: USER.username }, expiresInSeconds: 600 });
});

afterAll(async () => {
  await app?.close();
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A fresh session per call, so logging out in one operation does not break the next. */
async function newSession(): Promise<string> {
  const result = await app.deps.identity.login(USER.username, USER.password, '127.0.0.1');
  if (!result) throw new Error('the contract user could not log in');
  return result.sessionId;
}

const PREFERENCE: readonly CredentialKind[] = ['adminApiKey', 'apiKey', 'sessionCookie', 'bearerJwt', 'hasuraAdminSecret', 'setupToken'];

async function credentialHeaders(op: OperationInfo, sessionId: string): Promise<Record<string, string>> {
  if (op.security.mode === 'public') return {};
  const kind = PREFERENCE.find((k) => op.security.mode !== 'public' && op.security.accepted.includes(k));
  switch (kind) {
    case 'adminApiKey':
      return { Authorization: `Bearer ${adminKey}` };
    case 'apiKey':
      return { 'X-API-Key': apiKey };
    case 'sessionCookie':
      return { Cookie: `psession=${sessionId}` };
    case 'bearerJwt':
      return { Authorization: `Bearer ${jwt}` };
    case 'hasuraAdminSecret':
      return { 'X-Hasura-Admin-Secret': HASURA_SECRET, 'X-Hasura-Role': 'admin' };
    case 'setupToken':
      // The owner exists already: the first admin's creation answers 409 (documented).
      return { 'X-Vigil-Setup-Token': setupToken };
    default:
      return {};
  }
}

/** A value for a parameter: its example, else its schema's example/default/enum, else by type. */
function sampleValue(parameter: Record<string, unknown>): unknown {
  if ('example' in parameter) return parameter.example;
  const examples = parameter.examples;
  if (isRecord(examples)) {
    const first = Object.values(examples)[0];
    if (isRecord(first) && 'value' in first) return first.value;
  }
  const schema = isRecord(parameter.schema) ? parameter.schema : {};
  if ('example' in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return schema.type === 'integer' || schema.type === 'number' ? 1 : schema.type === 'boolean' ? true : 'x';
}

interface CallOptions {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body?: unknown;
}

function requestFor(op: OperationInfo, credentials: { sessionId: string }): CallOptions {
  const options: CallOptions = { path: {}, query: {}, headers: {} };
  const operationPointer = spec.locate(['paths', op.path, op.method]);
  const operation = operationPointer === undefined ? {} : (spec.valueAt(operationPointer) as Record<string, unknown>);
  const itemPointer = spec.locate(['paths', op.path]);
  const item = itemPointer === undefined ? {} : (spec.valueAt(itemPointer) as Record<string, unknown>);
  const parameters = [...((item.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])];
  parameters.forEach((_, index) => {
    const inItem = index < ((item.parameters as unknown[]) ?? []).length;
    const at = inItem
      ? spec.locate(['paths', op.path, 'parameters', String(index)])
      : spec.locate(['paths', op.path, op.method, 'parameters', String(index - ((item.parameters as unknown[]) ?? []).length)]);
    const parameter = at === undefined ? undefined : spec.valueAt(at);
    if (!isRecord(parameter) || parameter.required !== true) return;
    const value = sampleValue(parameter);
    const name = String(parameter.name);
    if (parameter.in === 'path') options.path[name] = value;
    else if (parameter.in === 'query') options.query[name] = value;
    else if (parameter.in === 'header') options.headers[name] = String(value);
  });

  const bodyPointer = spec.locate(['paths', op.path, op.method, 'requestBody']);
  const requestBody = bodyPointer === undefined ? undefined : spec.valueAt(bodyPointer);
  if (isRecord(requestBody) && isRecord(requestBody.content) && isRecord(requestBody.content['application/json'])) {
    const media = requestBody.content['application/json'];
    let body: unknown = sampleValue({ ...media, schema: media.schema });
    if (!isRecord(body)) body = {};
    // The credential and login fields the documents put in bodies get real values.
    const known: Record<string, string> = {
      AdminAPIKey: adminKey,
      APIKey: apiKey,
      SessionID: credentials.sessionId,
      username: USER.username,
      password: USER.password,
    };
    const filled: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    for (const [key, value] of Object.entries(known)) if (key in filled) filled[key] = value;
    options.body = filled;
  }
  return options;
}

type SdkFunction = (options: Record<string, unknown>) => Promise<{ response?: Response }>;

function contentTypeOf(response: Response): string {
  return response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
}

describe('every operation through the generated client', () => {
  it('the SDK has a function for every operation (else run npm run generate)', () => {
    const missing = operations.map((op) => op.operationId).filter((id) => typeof (sdk as Record<string, unknown>)[id] !== 'function');
    expect(missing).toEqual([]);
  });

  it.each(operations.map((op) => [op.operationId, op] as const))('%s answers a documented status with a documented body', async (operationId, op) => {
    const call = (sdk as Record<string, unknown>)[operationId] as SdkFunction | undefined;
    if (typeof call !== 'function') throw new Error(`generated/sdk.gen.ts has no ${operationId}: run npm run generate`);
    const sessionId = await newSession();
    const request = requestFor(op, { sessionId });
    const headers = { ...(await credentialHeaders(op, sessionId)), ...request.headers };

    let raw: Response | undefined;
    const client = createClient({ baseUrl: app.baseUrl });
    client.interceptors.response.use((response) => {
      raw = response.clone();
      return response;
    });
    const logsBefore = app.logs().length;
    await call({ client, headers, path: request.path, query: request.query, ...(request.body !== undefined ? { body: request.body } : {}) });
    expect(raw, 'the call reached the app').toBeDefined();
    const response = raw as Response;
    const text = await response.text();
    const status = response.status;

    expect(documentsStatus(op, status), `${operationId} answered ${status}, documented: ${op.statuses.join(', ')}; body: ${text.slice(0, 300)}`).toBe(true);

    if (op.security.mode !== 'public') {
      // Owner credentials with every scope: authentication must not be what answered.
      expect([401, 403, 429], `${operationId} refused the contract credentials: ${text.slice(0, 300)}`).not.toContain(status);
    }

    const newLogs = app.logs().slice(logsBefore).join('\n');
    expect(newLogs, 'the response validator rejected the body').not.toContain('response failed validation');
    expect(newLogs, 'the handler threw').not.toContain('unexpected error while handling a request');

    const types = spec.responseContentTypes(op, status) ?? [];
    if (types.length === 0) {
      expect(text, `${operationId} ${status} documents no body`).toBe('');
      return;
    }
    const contentType = contentTypeOf(response);
    const pointer = spec.responseSchemaPointer(op, status, contentType);
    expect(pointer, `${operationId} ${status}: content type ${contentType} is not documented (${types.join(', ')})`).toBeDefined();
    const body: unknown = /json/.test(contentType) ? JSON.parse(text) : text;
    expect(spec.errorsAt(pointer as string, body), `${operationId} ${status} body: ${text.slice(0, 500)}`).toEqual([]);
  });
});
