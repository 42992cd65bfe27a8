// One identity model behind every credential the documents use.
import type { SetupTokens } from './setup-token.ts';

export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** True when `role` is `minimum` or higher ("Admin or higher"). */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** The credential kinds declared as security schemes in the spec. */
export type CredentialKind =
  | 'adminApiKey' // Authorization: Bearer <admin key>, or AdminAPIKey in 000's body
  | 'apiKey' // X-API-Key
  | 'bearerJwt' // Authorization: Bearer <JWT>
  | 'sessionCookie' // psession cookie, or SessionID in 000's body
  | 'hasuraAdminSecret' // X-Hasura-Admin-Secret with X-Hasura-Role: admin
  | 'setupToken'; // X-Vigil-Setup-Token: the one-time token for the first admin (setup-token.ts)

export interface Principal {
  /** User id, or `hasura-admin` for the Hasura admin secret. */
  readonly subject: string;
  readonly role: Role;
  readonly via: CredentialKind;
  /** API key scopes; `*` for sessions and JWTs (their role decides). */
  readonly scopes: readonly string[];
  /** The session id when `via` is `sessionCookie`. */
  readonly sessionId?: string;
  /** The key id when `via` is `apiKey` or `adminApiKey`. */
  readonly keyId?: string;
}

/**
 * The result of authenticating a request against the schemes an operation accepts.
 * `missing`: no credential was presented (401). `invalid`: a credential was presented but
 * is wrong, revoked or expired (401; 403 where the document says so). The reason never
 * reaches the response body.
 */
export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' }
  /** Too many recent failures from the address or against the account; `retryAfterMs` until it may retry. */
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterMs?: number };

/** The parts of a request authentication reads (kept framework-free for testing). */
export interface CredentialCarrier {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly cookies: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body, when the operation has one (000 carries AdminAPIKey/SessionID/APIKey). */
  readonly body?: unknown;
  /** Client address, for throttling repeated failures. */
  readonly ip: string;
}

export interface Authenticator {
  authenticate(request: CredentialCarrier, accepted: readonly CredentialKind[]): Promise<AuthOutcome>;
  /** Is this session id active (000's `Session` check)? */
  sessionActive(sessionId: string): Promise<boolean>;
  /** Does at least one admin (or owner) user exist (000's error code 2)? */
  adminExists(): Promise<boolean>;
}

export interface LoginResult {
  readonly sessionId: string;
  readonly expiresAt: Date;
  readonly role: Role;
}

/** Authentication plus the session lifecycle behind the login / logout operations. */
/** What `createFirstAdmin` did: created the admin, or found one already there (the token is spent either way). */
export type FirstAdminOutcome = { readonly created: true; readonly username: string; readonly role: Role } | { readonly created: false };

export interface IdentityService extends Authenticator {
  /**
   * The principal `authenticate` would return for the first credential the request presents
   * (in its order), when that needs nothing awaited and does nothing `authenticate` would do
   * differently: an API key or session verified within auth.credential_reuse while every
   * revocation is heard, or a right Hasura admin secret from an address the throttle cleared
   * lately. Undefined otherwise: the caller must then authenticate (the fast path hands the
   * request to the full stack, which counts any failure once).
   */
  reusable(carrier: CredentialCarrier, accepted: readonly CredentialKind[]): Principal | undefined;
  /** Null when the user is unknown or the password wrong (callers must not say which). */
  login(username: string, password: string, ip: string): Promise<LoginResult | null>;
  /** The one-time setup token for the first admin (issued at start while no admin exists). */
  readonly setupTokens: SetupTokens;
  /**
   * Creates the first admin behind the setup token, unless an admin exists by now; either way
   * the token is consumed. Throws IdentityInputError for a refused username or password.
   */
  createFirstAdmin(username: string, password: string): Promise<FirstAdminOutcome>;
  logout(sessionId: string): Promise<void>;
  close(): Promise<void>;
}
