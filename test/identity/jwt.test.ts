import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JwtConfig } from '../../src/config/types.ts';
import { JWT_DEFAULTS } from '../../src/shared/jwt-policy.ts';
import { createJwtVerifier, JwksUnavailableError, readClaim, roleFromClaim, signHs256Jwt } from '../../src/identity/jwt.ts';
import { listenOnLoopback, type Listening } from '../support/servers/listen.ts';
import { fakeClock } from './fixtures.ts';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'vigil';

function hsConfig(overrides: Partial<JwtConfig> = {}): JwtConfig {
  return { secret: SECRET, jwksUrl: undefined, issuer: ISSUER, audience: AUDIENCE, roleClaim: 'role', ...JWT_DEFAULTS, ...overrides };
}

describe('HS256 JWTs', () => {
  const clock = fakeClock();
  const verifier = createJwtVerifier({ config: hsConfig(), now: clock });
  const sign = (overrides: Partial<Parameters<typeof signHs256Jwt>[0]> = {}) =>
    signHs256Jwt({ secret: SECRET, role: 'operator', issuer: ISSUER, audience: AUDIENCE, claims: { sub: 'ada' }, now: clock(), ...overrides });

  it('are accepted when signature, issuer, audience and expiry are right, with the role from the claim', async () => {
    expect(await verifier.verify(await sign())).toEqual({ subject: 'jwt:ada', role: 'operator' });
  });

  it.each([
    ['a bad signature', () => sign({ secret: 'another-secret-of-at-least-32-bytes' })],
    ['an expired token', () => sign({ expiresInSeconds: -60 })],
    ['a wrong issuer', () => sign({ issuer: 'https://evil.test' })],
    ['a wrong audience', () => sign({ audience: 'someone-else' })],
    ['no role claim', () => sign({ role: undefined })],
    ['an unknown role', () => sign({ role: undefined, claims: { sub: 'ada', role: 'root' } })],
    ['a token that is not a JWT', async () => 'not.a.jwt'],
    ['an unsigned (alg none) token', async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'x', role: 'owner', iss: ISSUER, aud: AUDIENCE, exp: 4102444800 })}.`;
    }],
  ])('are refused with %s', async (_label, make) => {
    expect(await verifier.verify(await make())).toBeUndefined();
  });

  it('are refused when issued in the future beyond the allowed skew (11.8)', async () => {
    const ahead = JWT_DEFAULTS.clockSkewMs;
    expect(await verifier.verify(await sign({ now: clock() + ahead + 60_000 }))).toBeUndefined();
    // Within the skew: an issuer whose clock runs a little ahead is fine.
    expect(await verifier.verify(await sign({ now: clock() + ahead / 2 }))).toEqual({ subject: 'jwt:ada', role: 'operator' });
  });

  it('are refused when they live longer than auth.jwt.max_lifetime (11.8)', async () => {
    const capped = createJwtVerifier({ config: hsConfig({ maxLifetimeMs: 3_600_000 }), now: clock });
    expect(await capped.verify(await sign({ expiresInSeconds: 3_600 }))).toEqual({ subject: 'jwt:ada', role: 'operator' });
    expect(await capped.verify(await sign({ expiresInSeconds: 3_601 }))).toBeUndefined();
    expect(await verifier.verify(await sign({ expiresInSeconds: 10 * 365 * 86_400 }))).toBeUndefined();
    // Without iat the lifetime counts from now.
    const noIat = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(clock() / 1000) + 2 * 3_600)
      .sign(new TextEncoder().encode(SECRET));
    expect(await capped.verify(noIat)).toBeUndefined();
  });

  it('refuse an HS256 secret under 32 bytes with a sentence (RFC 7518 section 3.2)', () => {
    expect(() => createJwtVerifier({ config: hsConfig({ secret: 'a' }), now: clock })).toThrow(/auth\.jwt\.secret is 1 bytes long; an HS256 secret must be at least 32 bytes/);
  });

  it('are refused without an exp claim', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(new TextEncoder().encode(SECRET));
    expect(await verifier.verify(token)).toBeUndefined();
  });

  it('read the role from a nested claim path or a list of roles', async () => {
    const nested = createJwtVerifier({ config: hsConfig({ roleClaim: 'realm.roles' }), now: clock });
    const token = await sign({ role: undefined, claims: { sub: 'bo', realm: { roles: ['viewer', 'admin', 'unknown'] } } });
    expect(await nested.verify(token)).toEqual({ subject: 'jwt:bo', role: 'admin' });
    expect(readClaim({ 'https://x/role': 'owner' }, 'https://x/role')).toBe('owner');
    expect(roleFromClaim(42)).toBeUndefined();
  });

  it('skip issuer and audience checks when none is configured', async () => {
    const open = createJwtVerifier({ config: hsConfig({ issuer: undefined, audience: undefined }), now: clock });
    expect(await open.verify(await sign({ issuer: 'anyone', audience: 'anything' }))).toEqual({ subject: 'jwt:ada', role: 'operator' });
  });
});

describe('JWTs verified against a JWKS URL', () => {
  let server: Listening;
  let jwks: { keys: JWK[] };
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  let requests = 0;
  const clock = fakeClock(Date.now());

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    strangerKey = stranger.privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    server = await listenOnLoopback(
      createServer((_req, res) => {
        requests += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  const rs = (key: CryptoKey, kid = 'k1', role = 'admin') =>
    new SignJWT({ role })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('svc')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(clock() / 1000))
      .setExpirationTime(Math.floor(clock() / 1000) + 300)
      .sign(key);

  it('accept a token signed by a key of the set, fetching the set over HTTP', async () => {
    const verifier = createJwtVerifier({ config: hsConfig({ secret: undefined, jwksUrl: `http://127.0.0.1:${server.port}/jwks.json` }), now: clock });
    expect(await verifier.verify(await rs(signingKey))).toEqual({ subject: 'jwt:svc', role: 'admin' });
    expect(requests).toBeGreaterThan(0);
  });

  it('refuse a token signed by a key outside the set, and an HS256 token (algorithm confusion)', async () => {
    const verifier = createJwtVerifier({ config: hsConfig({ secret: undefined, jwksUrl: `http://127.0.0.1:${server.port}/jwks.json` }), now: clock });
    expect(await verifier.verify(await rs(strangerKey))).toBeUndefined();
    expect(await verifier.verify(await rs(strangerKey, 'unknown-kid'))).toBeUndefined();
    const hs = await signHs256Jwt({ secret: JSON.stringify(jwks.keys[0]), role: 'owner', issuer: ISSUER, audience: AUDIENCE, now: clock() });
    expect(await verifier.verify(hs)).toBeUndefined();
  });

  it('report the JWKS as unavailable (not the token as wrong) when it cannot be fetched', async () => {
    const down = await listenOnLoopback(createServer());
    const port = down.port;
    await down.close();
    const verifier = createJwtVerifier({ config: hsConfig({ secret: undefined, jwksUrl: `http://127.0.0.1:${port}/jwks.json` }), now: clock });
    await expect(verifier.verify(await rs(signingKey))).rejects.toBeInstanceOf(JwksUnavailableError);
  });

  it('refuse a configuration with both or neither of secret and jwksUrl', () => {
    expect(() => createJwtVerifier({ config: hsConfig({ jwksUrl: 'http://127.0.0.1/x' }), now: clock })).toThrow('exactly one');
    expect(() => createJwtVerifier({ config: hsConfig({ secret: undefined }), now: clock })).toThrow('exactly one');
  });
});
