// The platform's answers before and around handlers: request validation, body parsing, unknown
// routes, unexpected throws and off-spec responses, each in the family's documented shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiFamily } from '../../src/http/errors.ts';
import type { TestApp } from '../support/app.ts';
import { FIXTURE_CREDENTIALS, LEAKY_SECRET, startFixtureApp } from './fixtures/fixture-app.ts';
import { expectErrorShape, stackLines } from './shapes.ts';

const BODY_LIMIT = 256;
let app: TestApp;

beforeAll(async () => {
  app = await startFixtureApp({ config: { server: { bodyLimitBytes: BODY_LIMIT } } });
});

afterAll(async () => {
  await app?.close();
});

interface Attempt {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
}

const admin = { authorization: `Bearer ${FIXTURE_CREDENTIALS.adminKey}` };

async function send(attempt: Attempt): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...admin };
  if (attempt.contentType) headers['content-type'] = attempt.contentType;
  const response = await fetch(`${app.baseUrl}${attempt.path}`, { method: attempt.method, headers, body: attempt.body });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, headers: response.headers };
}

describe('requests the spec does not allow', () => {
  it.each<[string, number, ApiFamily, Attempt]>([
    ['an unknown query parameter', 400, 'health', { method: 'GET', path: '/fixture/ping?bogus=1' }],
    ['a query value outside its enum', 400, 'health', { method: 'GET', path: '/fixture/ping?mode=loud' }],
    ['a path parameter that breaks its pattern', 400, 'health', { method: 'GET', path: '/fixture/things/UPPER' }],
    ['malformed JSON', 400, 'system', { method: 'POST', path: '/fixture/system', body: '{"note": ', contentType: 'application/json' }],
    ['a body over the size limit', 413, 'system', { method: 'POST', path: '/fixture/system', body: JSON.stringify({ note: 'x'.repeat(BODY_LIMIT) }), contentType: 'application/json' }],
    ['a wrong content type', 415, 'system', { method: 'POST', path: '/fixture/system', body: 'note=hello', contentType: 'text/plain' }],
    ['a body property the schema does not have', 400, 'system', { method: 'POST', path: '/fixture/system', body: '{"bogus": 1}', contentType: 'application/json' }],
    ['a path no operation has', 404, 'health', { method: 'GET', path: '/nowhere' }],
    ['a method the path does not have (health path)', 405, 'health', { method: 'DELETE', path: '/fixture/ping' }],
    ['a method the path does not have (sources path)', 405, 'sources', { method: 'PUT', path: '/fixture/sources' }],
  ])('%s gets %i in the %s shape', async (_title, status, family, attempt) => {
    const answer = await send(attempt);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expectErrorShape(answer.body, family);
  });

  it('names the unknown query parameter in the message', async () => {
    const answer = await send({ method: 'GET', path: '/fixture/ping?bogus=1' });
    expect(JSON.stringify(answer.body)).toContain('bogus');
  });

  it('names the body limit when a body is too large', async () => {
    const answer = await send({
      method: 'POST',
      path: '/fixture/system',
      body: JSON.stringify({ note: 'x'.repeat(BODY_LIMIT) }),
      contentType: 'application/json',
    });
    expect(JSON.stringify(answer.body)).toContain(String(BODY_LIMIT));
  });

  it('accepts the same request once it follows the spec', async () => {
    const answer = await send({ method: 'POST', path: '/fixture/system', body: '{"note": "hi"}', contentType: 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ subject: 'admin-key-user' });
  });

  it('routes OpenAPI path parameters through Express 5', async () => {
    const answer = await send({ method: 'GET', path: '/fixture/things/abc' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: 'abc' });
  });
});

describe('failures inside handlers', () => {
  it('answers an unexpected throw with a 500 in the family shape, without stack or secret', async () => {
    const answer = await send({ method: 'GET', path: '/fixture/ping?mode=throw' });
    expect(answer.status).toBe(500);
    expectErrorShape(answer.body, 'health');
    expect(answer.text).not.toContain(LEAKY_SECRET);
    expect(answer.text).not.toContain('postgres://');
    expect(answer.text).not.toContain('database refused');
    expect(stackLines(answer.text)).toEqual([]);
  });

  it('logs the unexpected error with its stack but without the secret', async () => {
    await send({ method: 'GET', path: '/fixture/ping?mode=throw' });
    const lines = app.logs().filter((line) => line.includes('unexpected error while handling a request'));
    expect(lines.length).toBeGreaterThan(0);
    const last = JSON.parse(lines.at(-1) as string) as { operationId: string; error: { message: string; stack: string } };
    expect(last.operationId).toBe('fixturePing');
    expect(last.error.message).toContain('database refused');
    expect(last.error.stack).toContain('fixture-app.ts');
    expect(lines.join('\n')).not.toContain(LEAKY_SECRET);
  });

  it('answers an off-spec response with a 500 and logs why', async () => {
    const answer = await send({ method: 'GET', path: '/fixture/ping?mode=offspec' });
    expect(answer.status).toBe(500);
    expectErrorShape(answer.body, 'health');
    expect(answer.text).not.toContain('surprise');
    const line = app.logs().find((l) => l.includes('response failed validation'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line as string) as { operationId: string; validationErrors: string[] };
    expect(logged.operationId).toBe('fixturePing');
    expect(logged.validationErrors.join(' ')).toMatch(/additional properties/i);
  });
});
