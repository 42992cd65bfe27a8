// JWT bearer tokens, verified with jose against an HS256 secret or a remote JWKS. Issuer and
// audience are checked when configured, `exp` is required, and the Vigil role is read from
// the configured claim (a plain claim name, or a dotted path into nested claims). A token
// issued in the future (beyond `clockSkewMs`) or living longer than `maxLifetimeMs` is refused:
// a leaked long-lived token must not stay usable, and a future `iat` would extend any age check.
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/types.ts';
import { hs256SecretWeakness } from '../shared/jwt-policy.ts';
import { ROLES, type Role } from './types.ts';
import { isRole } from './users.ts';

export interface VerifiedJwt {
  readonly subject: string;
  readonly role: Role;
}

export interface JwtVerifier {
  /** The subject and role of a valid token, or undefined for any invalid one. */
  verify(token: string): Promise<VerifiedJwt | undefined>;
}

/** The JWKS could not be fetched in time: not the client's fault, so not a 401. */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 5;

/** Looks a claim up by its exact name first, then as a dotted path (`realm.role`). */
export function readClaim(payload: JWTPayload, claim: string): unknown {
  if (claim in payload) return payload[claim];
  let current: unknown = payload;
  for (const part of claim.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A role claim is one role name, or a list of which the highest known role counts. */
export function roleFromClaim(value: unknown): Role | undefined {
  if (isRole(value)) return value;
  if (Array.isArray(value)) {
    const known = value.filter(isRole);
    return known.sort((a, b) => ROLES.indexOf(b) - ROLES.indexOf(a))[0];
  }
  return undefined;
}

export interface JwtVerifierInput {
  readonly config: JwtConfig;
  readonly now: () => number;
  readonly jwksTimeoutMs?: number;
}

export function createJwtVerifier(input: JwtVerifierInput): JwtVerifier {
  const { config } = input;
  if (Boolean(config.secret) === Boolean(config.jwksUrl)) {
    throw new Error('auth.jwt: set exactly one of "secret" (HS256) and "jwksUrl"');
  }
  const weakness = config.secret === undefined ? undefined : hs256SecretWeakness(config.secret);
  if (weakness) throw new Error(`auth.jwt.secret ${weakness}`);
  const secretKey = config.secret ? new TextEncoder().encode(config.secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: input.jwksTimeoutMs ?? 3_000, cooldownDuration: 30_000 })
    : undefined;

  return {
    async verify(token) {
      const options = {
        algorithms: secretKey ? ['HS256'] : ASYMMETRIC_ALGORITHMS,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(input.now()),
      };
      let payload: JWTPayload;
      try {
        payload = secretKey
          ? (await jwtVerify(token, secretKey, options)).payload
          : (await jwtVerify(token, jwks as JWTVerifyGetKey, options)).payload;
      } catch (error) {
        if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
          throw new JwksUnavailableError('auth.jwt: the JWKS could not be fetched', { cause: error });
        }
        return undefined;
      }
      if (!withinPolicy(payload, input.now(), config)) return undefined;
      const role = roleFromClaim(readClaim(payload, config.roleClaim));
      if (!role) return undefined;
      return { subject: `jwt:${payload.sub ?? 'anonymous'}`, role };
    },
  };
}

/** `iat` not in the future beyond the skew, and a lifetime (`exp` - `iat`, or from now) within the cap. */
function withinPolicy(payload: JWTPayload, nowMs: number, config: Pick<JwtConfig, 'maxLifetimeMs' | 'clockSkewMs'>): boolean {
  const issuedAtMs = typeof payload.iat === 'number' ? payload.iat * 1000 : undefined;
  if (issuedAtMs !== undefined && issuedAtMs > nowMs + config.clockSkewMs) return false;
  const expiresAtMs = (payload.exp as number) * 1000; // required and checked by jwtVerify
  return expiresAtMs - Math.min(issuedAtMs ?? nowMs, nowMs) <= config.maxLifetimeMs;
}

export interface SignJwtInput {
  readonly secret: string;
  readonly role?: Role;
  /** Claim that carries the role (auth.jwt.roleClaim). Default `role`. */
  readonly roleClaim?: string;
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from `now` (negative for an already expired token). Default 300. */
  readonly expiresInSeconds?: number;
  readonly now?: number;
}

/** An HS256 token as Vigil would accept it: for tests and for operators minting a token by hand. */
export async function signHs256Jwt(input: SignJwtInput): Promise<string> {
  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  const payload: JWTPayload = { ...input.claims };
  if (input.role) payload[input.roleClaim ?? 'role'] = input.role;
  let builder = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (input.expiresInSeconds ?? 300));
  if (input.issuer) builder = builder.setIssuer(input.issuer);
  if (input.audience) builder = builder.setAudience(input.audience);
  return builder.sign(new TextEncoder().encode(input.secret));
}
