// The platform's 4xx answers on the real spec's operations, read from the spec at test time so
// the test follows the owners' changes: POST /api/v1/system-health-check for the body cases
// (000's Errors shape) and a public GET for the unknown query parameter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOperation, loadSpec, resolvePointer, type OperationInfo } from '../../src/http/spec.ts';
import { createApiKey } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { stubFactory } from './fixtures/stubs.ts';
import { expectErrorShape } from './shapes.ts';

const BODY_LIMIT = 512;
const SYSTEM_PATH = '/api/v1/system-health-check';
let app: TestApp;
let adminKey: string;
let system: OperationInfo;
let systemJson: boolean;

beforeAll(async () => {
  const spec = await loadSpec();
  const op = findOperation(spec.operations, 'POST', SYSTEM_PATH);
  if (!op) throw new Error(`the spec has no POST ${SYSTEM_PATH}`);
  system = op;
  const item = resolvePointer(spec.document, (spec.document.paths as Record<string, unknown>)[SYSTEM_PATH]) as Record<string, { requestBody?: unknown }>;
  const body = resolvePointer(spec.document, item.post?.requestBody) as { content?: Record<string, unknown> } | undefined;
  systemJson = Object.keys(body?.content ?? {}).includes('application/json');
  app = await startTestApp({ factories: [stubFactory(spec.operations)], config: { server: { bodyLimitBytes: BODY_LIMIT } } });
  adminKey = (await createApiKey(app.deps.store, { name: `platform-${Date.now()}`, admin: true })).key;
});

afterAll(async () => {
  await app?.close();
});

async function post(body: string, contentType: string, credential = true) {
  const response = await fetch(`${app.baseUrl}${SYSTEM_PATH}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(credential ? { authorization: `Bearer ${adminKey}` } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('the real spec: 4xx answers in the documented shape', () => {
  it('the system operation takes a JSON body (read from the spec)', () => {
    expect(system.family).toBe('system');
    expect(systemJson).toBe(true);
  });

  it.each([
    ['malformed JSON', '{"AdminAPIKey": ', 'application/json', 400],
    ['a body over the size limit', JSON.stringify({ SessionID: 'x'.repeat(BODY_LIMIT) }), 'application/json', 413],
    ['a wrong content type', 'SessionID=abc', 'text/plain', 415],
  ])('%s on POST /api/v1/system-health-check gets a documented 4xx in 000 shape', async (_title, body, contentType, status) => {
    const answer = await post(body, contentType);
    expect(answer.status).toBe(status);
    expect(system.statuses).toContain(String(status));
    expectErrorShape(answer.body, 'system');
  });

  it('a wrong content type without a credential is refused before validation', async () => {
    const answer = await post('SessionID=abc', 'text/plain', false);
    expect(answer.status).toBe(403);
    expectErrorShape(answer.body, 'system');
  });

  it('an unknown query parameter on a public GET gets 400 in its family shape', async () => {
    const { operations } = await loadSpec();
    const op = operations.find((o) => o.method === 'get' && o.security.mode === 'public' && !o.path.includes('{'));
    if (!op) throw new Error('the spec has no public GET operation');
    const response = await fetch(`${app.baseUrl}${op.path}?surely_not_a_parameter=1`);
    expect(response.status).toBe(400);
    const body = await response.json();
    expectErrorShape(body, op.family);
    expect(JSON.stringify(body)).toContain('surely_not_a_parameter');
  });
});
