// Login CSRF (11.10): a page on another site cannot set or clear the psession cookie.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, SESSION_COOKIE } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHEAP_SCRYPT } from '../identity/fixtures.ts';

const PASSWORD = 'csrf-test-password';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await createUser(app.deps.store, { username: 'csrf', password: PASSWORD, role: 'admin', scrypt: CHEAP_SCRYPT });
});
afterAll(async () => {
  await app?.close();
});

const form = new URLSearchParams({ username: 'csrf', password: PASSWORD }).toString();
const post = (path: string, headers: Record<string, string>) =>
  fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form });
const setsCookie = (response: Response) => response.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`));

describe('cross-site login and logout', () => {
  it.each([
    ['a cross-site form POST', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: cross-site alone', { 'sec-fetch-site': 'cross-site' }],
    ['an Origin of another site', { origin: 'https://evil.example' }],
    ['Origin: null', { origin: 'null' }],
  ])('refuses %s with 403 and no cookie', async (_label, headers) => {
    for (const path of ['/v1/auth/login', '/v1/auth/logout']) {
      const response = await post(path, headers);
      expect(response.status, path).toBe(403);
      expect(await response.json()).toEqual({ detail: 'Cross-site requests may not log in or out' });
      expect(setsCookie(response)).toBe(false);
    }
  });

  it.each([
    ['its own origin', () => ({ origin: app.baseUrl, 'sec-fetch-site': 'same-origin' })],
    ['a request typed by the user', () => ({ 'sec-fetch-site': 'none' })],
    ['no browser headers (curl)', () => ({})],
  ])('serves %s', async (_label, headers) => {
    const response = await post('/v1/auth/login', headers());
    expect(response.status).toBe(200);
    expect(setsCookie(response)).toBe(true);
  });
});
