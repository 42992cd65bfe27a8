// `auth:` — how callers prove who they are: JWTs, the Hasura admin secret, sessions, throttling.
import type { z } from 'zod';
import type { SecretContext } from '../secret-ref.ts';
import type { AuthConfig, JwtConfig } from '../types.ts';
import { hs256SecretWeakness } from '../../shared/jwt-policy.ts';
import { duration, integer, issue, secret, section, text } from './fields.ts';

function jwtSection(secrets: SecretContext) {
  return section({
    secret: secret(secrets).optional().meta({ description: 'HS256 shared secret (`{ env: NAME }` or `{ file: path }` allowed).' }),
    jwks_url: text()
      .regex(/^https?:\/\//, { error: 'an http:// or https:// URL' })
      .optional()
      .meta({ description: 'URL of the JSON Web Key Set that signs the tokens (RS256/ES256...).' }),
    issuer: text().optional().meta({ description: 'Required `iss` claim; absent: not checked.' }),
    audience: text().optional().meta({ description: 'Required `aud` claim; absent: not checked.' }),
    role_claim: text().prefault('role').meta({ description: 'Claim holding the Vigil role (viewer, operator, admin or owner).' }),
    max_lifetime: duration()
      .prefault('24h') // JWT_DEFAULTS.maxLifetimeMs
      .meta({ description: 'Longest lifetime (`exp` - `iat`, or from now without `iat`) a token may have; longer-lived tokens are refused.' }),
    clock_skew: duration({ min: 0 })
      .prefault('1m') // JWT_DEFAULTS.clockSkewMs
      .meta({ description: 'How far a token\'s `iat` may lie in the future (the issuer\'s clock running ahead); beyond it the token is refused.' }),
  })
    .transform((s, ctx): JwtConfig => {
      if ((s.secret === undefined) === (s.jwks_url === undefined)) {
        ctx.issues.push(issue(s, 'given exactly one of secret (HS256) and jwks_url'));
      }
      const weakness = s.secret === undefined ? undefined : hs256SecretWeakness(s.secret);
      // RFC 7518 §3.2: a shorter HMAC key makes every token forgeable by brute force.
      if (weakness) ctx.issues.push(issue(undefined, weakness, 'suffix', ['secret']));
      return {
        secret: s.secret,
        jwksUrl: s.jwks_url,
        issuer: s.issuer,
        audience: s.audience,
        roleClaim: s.role_claim,
        maxLifetimeMs: s.max_lifetime,
        clockSkewMs: s.clock_skew,
      };
    })
    .meta({ description: 'JWT bearer tokens (`Authorization: Bearer <jwt>`): give exactly one of `secret` and `jwks_url`. Absent: JWTs are not accepted.' });
}

const sessionSection = section({
  ttl: duration().prefault('12h').meta({ description: "A session's lifetime (the `psession` cookie's Max-Age)." }),
  idle_timeout: duration().prefault('30m').meta({
    description:
      "A session unused this long ends. A session's use is recorded at most once per `auth.credential_reuse` (or half this, if shorter), so it ends between `idle_timeout - credential_reuse` and `idle_timeout` after its last use.",
  }),
  redis_source: text()
    .optional()
    .meta({ description: 'Name of a `redis` source whose server keeps the sessions; absent: they are kept in the store.' }),
})
  .transform((s): AuthConfig['session'] => ({ ttlMs: s.ttl, idleTimeoutMs: s.idle_timeout, redisSource: s.redis_source }))
  .meta({ description: 'Browser sessions (`POST /auth/login`).' });

const throttleSection = section({
  max_failures: integer(1, 1_000_000)
    .prefault(10)
    .meta({ description: 'Failed authentications from one client address within `window` before that address is answered 429.' }),
  max_account_failures: integer(1, 1_000_000)
    .prefault(10)
    .meta({
      description:
        'Failed authentications against one account (a username at login, an API key id, the Hasura admin secret) within `window`, from any addresses, before that account is answered 429.',
    }),
  window: duration().prefault('1m').meta({ description: 'The throttle window; a throttled address or account waits for the rest of it.' }),
})
  .transform((s): AuthConfig['throttle'] => ({ maxFailures: s.max_failures, maxAccountFailures: s.max_account_failures, windowMs: s.window }))
  .meta({
    description:
      'Throttling of failed authentications, per client address and per account. A valid API key, session or JWT is served even from a throttled address; a password or the Hasura admin secret is refused while its address or account is throttled. With `store.url` the counts are kept in the store and shared by every replica.',
  });

export function authSection(secrets: SecretContext) {
  return section({
    jwt: jwtSection(secrets).optional(),
    hasura_admin_secret: secret(secrets).optional().meta({
      description:
        'Hasura-style `X-Hasura-Admin-Secret` (with `X-Hasura-Role: admin`) for `/healthz/sources`; `{ env: NAME }` or `{ file: path }` allowed. Absent: that scheme is disabled.',
    }),
    session: sessionSection.prefault({}),
    throttle: throttleSection.prefault({}),
    store_timeout: duration().prefault('1s').meta({
      description:
        'Longest a request waits on the store, the session Redis or a JWKS URL while its credential is checked; beyond it the credential is accepted from the cache of credentials verified lately (`credential_cache_ttl`) or the request is answered 503.',
    }),
    credential_reuse: duration({ min: 0 }).prefault('2s').meta({
      description:
        "How long an API key or session the store verified is accepted again without reading the store (0: every request reads it; also 0 in effect with `credential_cache_ttl: 0`, which keeps nothing). Only while this process hears every revocation: on a PostgreSQL store (`store.url`) through LISTEN/NOTIFY, which reaches every replica within milliseconds of the commit (a key revoked by the CLI or on another replica, a user disabled, a session logged out anywhere included); while that connection is down, and always on the embedded store, every request reads the store. A key revoked, a user disabled or a session logged out through this process is refused at once. A session's use (its idle timeout) is written at most once per this window. For a Hasura admin secret that was just accepted from an address, the throttle's answer for that address is reused as long. Requests so accepted to snapshot operations are answered before the Express stack (the fast path).",
    }),
    credential_cache_ttl: duration({ min: 0 }).prefault('1m').meta({
      description:
        'How long an API key or session the store verified may still be accepted while the store cannot answer (0: never, answer 503). The store is read first (beyond `credential_reuse`), so a revocation (key revoked, user disabled, logout) is honoured at once; replicas on one PostgreSQL store also drop revoked credentials from their cache at once (LISTEN/NOTIFY).',
    }),
  })
    .transform(
      (s): AuthConfig => ({
        jwt: s.jwt,
        hasuraAdminSecret: s.hasura_admin_secret,
        session: s.session,
        throttle: s.throttle,
        storeTimeoutMs: s.store_timeout,
        credentialCacheTtlMs: s.credential_cache_ttl,
        credentialReuseMs: s.credential_reuse,
      }),
    )
    .meta({ description: 'How callers authenticate.' });
}

export type AuthConfigInput = z.input<ReturnType<typeof authSection>>;
