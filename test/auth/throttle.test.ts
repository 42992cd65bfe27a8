// The throttle over HTTP (11.7): a valid API key is served from an address that is throttled
// for failures (an attacker behind a shared NAT or proxy must not blind the monitors there),
// and 40 addresses guessing one account's password meet the per-account limit. Requests come
// from distinct loopback addresses (127.0.0.0/8), as distinct clients would.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createUser } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHEAP_SCRYPT } from '../identity/fixtures.ts';

const PASSWORD = 'the-right-password';
let app: TestApp;
let key: string;

function send(from: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  const url = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method, localAddress: from, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const withKey = (from: string, value: string) => send(from, 'GET', '/health/status', { 'x-api-key': value });
const loginFrom = (from: string, username: string, password: string) =>
  send(from, 'POST', '/v1/auth/login', { 'content-type': 'application/json' }, JSON.stringify({ username, password }));

beforeAll(async () => {
  app = await startTestApp({ config: { auth: { throttle: { maxFailures: 3, maxAccountFailures: 10, windowMs: 60_000 } } } });
  await createUser(app.deps.store, { username: 'target', password: PASSWORD, role: 'viewer', scrypt: CHEAP_SCRYPT });
  key = (await createApiKey(app.deps.store, { name: 'monitor', scopes: ['status:read'] })).key;
});
afterAll(async () => {
  await app?.close();
});

describe('the throttle', () => {
  it('serves a valid API key from an address throttled for failures', async () => {
    const shared = '127.0.0.21';
    for (let i = 0; i < 3; i += 1) expect(await withKey(shared, `vgl_guess${i}`)).toBe(401);
    expect(await withKey(shared, 'vgl_guess')).toBe(429);
    expect(await loginFrom(shared, 'target', PASSWORD)).toBe(429);
    expect(await withKey(shared, key)).toBe(200);
  });

  it('stops 40 addresses guessing one password at the per-account limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i += 1) statuses.push(await loginFrom(`127.0.1.${i + 1}`, 'target', `guess-number-${i}`));
    expect(statuses.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 401));
    expect(new Set(statuses.slice(10))).toEqual(new Set([429]));
    // The right password from a fresh address is refused too while the account is throttled.
    expect(await loginFrom('127.0.2.1', 'target', PASSWORD)).toBe(429);
    expect(await loginFrom('127.0.2.1', 'someone-else', 'a-wrong-password')).toBe(401);
  });
});
