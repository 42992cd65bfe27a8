// HTTP behaviour every operation shares (issue 11 items 13, 15, 17): HEAD on every GET,
// Cache-Control on every answer, bracketed query names refused, query values masked in logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentsStatus, loadSpec } from '../../src/http/spec.ts';
import { createApiKey, createUser, SESSION_COOKIE } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHEAP_SCRYPT } from '../identity/fixtures.ts';

const { operations } = await loadSpec();
const getOps = operations.filter((op) => op.method === 'get');
/** A concrete URL for an operation's path template (no template has parameters today). */
const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, 'x');

let app: TestApp;
let session: string;
let adminKey: string;

beforeAll(async () => {
  app = await startTestApp({ sources: [{ name: 'host', kind: 'resources' }], config: { families: { health: { resources: 'host' } } } });
  await createUser(app.deps.store, { username: 'semantics-admin', password: 'semantics-password', role: 'admin', scrypt: CHEAP_SCRYPT });
  session = (await app.deps.identity.login('semantics-admin', 'semantics-password', '127.0.0.1'))!.sessionId;
  adminKey = (await createApiKey(app.deps.store, { name: 'semantics', admin: true, scopes: ['*'] })).key;
});

afterAll(async () => {
  await app?.close();
});

const fetchApp = (path: string, init: RequestInit = {}) => fetch(`${app.baseUrl}${path}`, init);

describe('HEAD', () => {
  it('finds GET operations in the spec, /livez and /readyz among them', () => {
    expect(getOps.map((op) => op.path)).toEqual(expect.arrayContaining(['/livez', '/readyz', '/health']));
  });

  it.each(getOps.map((op) => [op.operationId, op] as const))('%s answers HEAD like GET, without a body', async (_id, op) => {
    const url = urlOf(op.path);
    const get = await fetchApp(url);
    await get.text();
    const head = await fetchApp(url, { method: 'HEAD' });
    expect(head.status).toBe(get.status);
    expect(head.status).not.toBe(405);
    expect(documentsStatus(op, head.status), `${head.status} is documented for ${op.operationId}`).toBe(true);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(head.headers.get('cache-control')).toBe(get.headers.get('cache-control'));
    expect(await head.text()).toBe('');
  });

  it('answers an authenticated HEAD with 200 and the length GET would send', async () => {
    const headers = { cookie: `${SESSION_COOKIE}=${session}` };
    const head = await fetchApp('/v1/admin/health', { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
  });

  it('is logged as HEAD', () => {
    const lines = app.logs().map((line) => JSON.parse(line) as { req?: { method: string; url: string } });
    expect(lines.some((line) => line.req?.method === 'HEAD' && line.req.url === '/livez')).toBe(true);
  });
});

describe('Cache-Control', () => {
  it.each(operations.map((op) => [op.operationId, op] as const))('%s says no-store when it reads credentials, else no-cache', async (_id, op) => {
    const response = await fetchApp(urlOf(op.path), { method: op.method.toUpperCase(), ...(op.method === 'post' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
    await response.text();
    // A handler may say more (`private, no-store`, a badge's max-age), never less.
    const value = response.headers.get('cache-control') ?? '';
    // An operation that also serves anonymous callers (the status page, badges) answers them
    // as a public one; an operation that always reads a credential never lets it be stored.
    if (op.security.mode === 'required') expect(value).toContain('no-store');
    else expect(value).toMatch(/no-cache|no-store|max-age/);
  });

  it('serves an authenticated answer with no-store, no ETag, and never a 304', async () => {
    const headers = { cookie: `${SESSION_COOKIE}=${session}` };
    const first = await fetchApp('/v1/admin/health', { headers });
    await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('etag')).toBeNull();
    const again = await fetchApp('/v1/admin/health', { headers: { ...headers, 'if-none-match': '*' } });
    await again.text();
    expect(again.status).toBe(200);
  });

  it('marks public health answers no-cache', async () => {
    for (const path of ['/health', '/v1/health', '/healthz', '/livez', '/readyz']) {
      const response = await fetchApp(path);
      await response.text();
      expect(response.headers.get('cache-control'), path).toBe('no-cache');
    }
  });
});

describe('bracketed query parameter names', () => {
  it.each([
    ['/health?a[__proto__][b]=1'],
    ['/health?a%5B__proto__%5D%5Bb%5D=1'],
    ['/livez?verbose[x]=1'],
    ['/health/detailed?constructor[prototype][x]=1'],
  ])('%s is refused with 400 in the family shape', async (url) => {
    const response = await fetchApp(url, { headers: { authorization: `Bearer ${adminKey}` } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ status: 'error', code: 'bad_request' });
    expect(String(body.error)).toMatch(/\[/);
  });

  it('are refused on every operation, in a status it documents', async () => {
    for (const op of operations) {
      const response = await fetchApp(`${urlOf(op.path)}?a[__proto__][b]=1`, { method: op.method.toUpperCase() });
      await response.text();
      expect(response.status, op.operationId).toBe(400);
      expect(documentsStatus(op, 400), op.operationId).toBe(true);
    }
  });
});

describe('query strings in the request log', () => {
  it('show documented parameters and mask every other value', async () => {
    const planted = 'vgl_plantedplanted_0123456789abcdef';
    await (await fetchApp(`/readyz?verbose=true&exclude=app-db&k=${planted}`)).text();
    await (await fetchApp(`/healthz?strict=true&monitor=${planted}`)).text();
    const all = app.logs().join('\n');
    expect(all).not.toContain(planted);
    const urls = app.logs().map((line) => (JSON.parse(line) as { req?: { url: string } }).req?.url).filter(Boolean);
    expect(urls).toContain('/readyz?verbose=true&exclude=app-db&k=***');
    expect(urls).toContain('/healthz?strict=true&monitor=***');
  });
});
