// Credentials travel in a body only where the spec documents them (000's POST), and a GET's
// body is never parsed: no 400/413/415 from a body parser before authentication (11.11, 11.16).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createUser } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHEAP_SCRYPT } from '../identity/fixtures.ts';

let app: TestApp;
let key: string;
let adminKey: string;
let session: string;

/** A raw request: fetch refuses a body on GET, which is exactly what is tested here. */
function send(method: string, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.baseUrl}${path}`, { method, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  app = await startTestApp({ config: { server: { bodyLimitBytes: 1024 } } });
  await createUser(app.deps.store, { username: 'body-admin', password: 'body-password', role: 'admin', scrypt: CHEAP_SCRYPT });
  session = (await app.deps.identity.login('body-admin', 'body-password', '127.0.0.1'))!.sessionId;
  key = (await createApiKey(app.deps.store, { name: 'body', role: 'admin', scopes: ['*'] })).key;
  adminKey = (await createApiKey(app.deps.store, { name: 'body-admin', admin: true, scopes: ['*'] })).key;
});

afterAll(async () => {
  await app?.close();
});

describe('credentials in a body', () => {
  it.each([
    ['/health/status', { APIKey: 'key' }],
    ['/health/detailed', { APIKey: 'key' }],
    ['/v1/admin/health', { SessionID: 'session' }],
    ['/healthz/sources', { AdminAPIKey: 'adminKey' }],
    ['/api/v1/system-health-check', { AdminAPIKey: 'adminKey', SessionID: 'session' }],
  ])('are not read on GET %s', async (path, fields) => {
    const values: Record<string, string> = { key, session, adminKey };
    const body = Object.fromEntries(Object.entries(fields).map(([name, which]) => [name, values[which] as string]));
    const { status } = await send('GET', path, JSON.stringify(body));
    expect([401, 403]).toContain(status);
  });

  it('are read where documented: AdminAPIKey and SessionID in the body of 000s POST', async () => {
    const { status, text } = await send('POST', '/api/v1/system-health-check', JSON.stringify({ AdminAPIKey: adminKey, SessionID: session }));
    expect(status, text).not.toBe(403);
    expect(text).not.toMatch(/Invalid admin API key/);
  });
});

describe('a body on a GET', () => {
  it.each([
    ['too large', 'x'.repeat(4096), 'application/json'],
    ['malformed JSON', '{"a":', 'application/json'],
    ['of an unsupported type', '<a/>', 'application/xml'],
    ['in an unsupported charset', '{}', 'application/json; charset=utf-7'],
  ])('is ignored when %s: the GET answers as without one', async (_label, body, type) => {
    expect((await send('GET', '/health', body, type)).status).toBe(200);
    expect((await send('GET', '/health/detailed', body, type)).status).toBe(401);
  });

  it('is still parsed (and limited) on an operation that documents one', async () => {
    expect((await send('POST', '/v1/auth/login', 'x'.repeat(4096))).status).toBe(413);
  });
});
