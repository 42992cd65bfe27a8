// No credential reaches a log line: not from headers, cookies, query strings or bodies, and
// not from an error message that echoes a configured secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeRequestUrl } from '../../src/http/request-log.ts';
import type { TestApp } from '../support/app.ts';
import { FIXTURE_CREDENTIALS as C, startFixtureApp } from './fixtures/fixture-app.ts';

const CONFIGURED_SECRET = 'configured-hasura-secret-93c1';
const SECRETS = {
  bearer: 'bearer-secret-1f0a',
  cookie: 'cookie-secret-77d2',
  apiKey: 'apikey-secret-5b4e',
  hasura: 'hasura-secret-e29c',
  query: 'query-secret-0c3d',
  body: 'body-secret-a81f',
};

let app: TestApp;

beforeAll(async () => {
  app = await startFixtureApp({ config: { auth: { hasuraAdminSecret: CONFIGURED_SECRET } } });
  const requests: [string, RequestInit][] = [
    ['/fixture/status', { headers: { 'x-api-key': SECRETS.apiKey } }],
    ['/fixture/status', { headers: { 'x-api-key': C.viewerKey } }],
    ['/fixture/sources', { headers: { 'x-hasura-admin-secret': SECRETS.hasura, 'x-hasura-role': 'admin' } }],
    ['/fixture/sources', { headers: { authorization: `Bearer ${SECRETS.bearer}` } }],
    ['/fixture/admin', { headers: { cookie: `psession=${SECRETS.cookie}; theme=dark` } }],
    [`/fixture/ping?token=${SECRETS.query}&api_key=${SECRETS.query}`, {}],
    [
      '/fixture/system',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.bearer}` },
        body: JSON.stringify({ AdminAPIKey: SECRETS.body, note: SECRETS.body }),
      },
    ],
    ['/fixture/ping?mode=leak', {}],
    ['/fixture/ping?mode=throw', {}],
  ];
  for (const [path, init] of requests) await (await fetch(`${app.baseUrl}${path}`, init)).text();
});

afterAll(async () => {
  await app?.close();
});

describe('log lines', () => {
  it('record one request line per request, with method, url and status', () => {
    const requestLines = app
      .logs()
      .map((line) => JSON.parse(line) as { req?: { method: string; url: string }; res?: { statusCode: number } })
      .filter((line) => line.req && line.res);
    expect(requestLines.length).toBeGreaterThanOrEqual(9);
    expect(requestLines.some((line) => line.req?.url === '/fixture/status' && line.res?.statusCode === 200)).toBe(true);
  });

  it.each(Object.entries({ ...SECRETS, configured: CONFIGURED_SECRET }))('never contain the %s secret', (_name, secret) => {
    expect(app.logs().length).toBeGreaterThan(0);
    for (const line of app.logs()) expect(line).not.toContain(secret);
  });

  it('never contain credential headers at all', () => {
    const all = app.logs().join('\n').toLowerCase();
    for (const header of ['authorization', 'cookie', 'x-api-key', 'x-hasura-admin-secret']) {
      expect(all).not.toContain(`"${header}"`);
    }
  });

  it('keep the names of secret query parameters but mask their values', () => {
    const line = app.logs().find((l) => l.includes('api_key='));
    expect(line).toContain('token=***');
  });

  it('log the redacted error when a handler echoes a configured secret', () => {
    const line = app.logs().find((l) => l.includes('login failed with password'));
    expect(line).toContain('login failed with password ***');
  });
});

describe('safeRequestUrl', () => {
  const documented = new Set(['verbose', 'exclude', 'strict', 'token']);
  it.each([
    ['/health', '/health'],
    ['/health?verbose=true', '/health?verbose=true'],
    ['/readyz?exclude=a&exclude=b', '/readyz?exclude=a&exclude=b'],
    // Undocumented names are masked whatever they look like: a key travels under any name.
    ['/x?token=abc&page=2', '/x?token=***&page=***'],
    ['/x?monitor=vgl_abc_def', '/x?monitor=***'],
    ['/x?apiKey=abc&access_token=def&password=ghi', '/x?apiKey=***&access_token=***&password=***'],
    ['/x?SessionID=abc', '/x?SessionID=***'],
  ])('%s is logged as %s', (url, expected) => {
    expect(safeRequestUrl(url, documented)).toBe(expected);
  });
});
