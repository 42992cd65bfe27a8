// What Vigil asks of JWTs beyond a valid signature, shared by the configuration (refused at
// start-up) and the verifier (refused per token).
/** Defaults of auth.jwt.max_lifetime and auth.jwt.clock_skew. */
export const JWT_DEFAULTS = { maxLifetimeMs: 24 * 3_600_000, clockSkewMs: 60_000 } as const;

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output, 256 bits. */
export const MIN_HS256_SECRET_BYTES = 32;

/** Why `secret` cannot sign HS256 tokens safely, as the end of a sentence; undefined when it can. */
export function hs256SecretWeakness(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes >= MIN_HS256_SECRET_BYTES) return undefined;
  return `is ${bytes} bytes long; an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes (RFC 7518 section 3.2), e.g. the output of \`openssl rand -hex 32\``;
}

