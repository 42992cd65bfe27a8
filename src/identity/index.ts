// Identity: who is calling, from any of the five credential kinds the spec declares.
//
// Getting credentials in tests (and what the CLI does):
//
//   import { createStore, MEMORY_DATA_DIR } from '../src/store/index.ts';
//   import { createUser, createApiKey, revokeApiKey, createIdentityService, signHs256Jwt } from '../src/identity/index.ts';
//
//   const store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, logger); // ~1 s, migrated
//   await createUser(store, { username: 'ada', password: 'long enough', role: 'admin' });
//   const { key } = await createApiKey(store, { name: 'ci', role: 'viewer', scopes: ['health:read'] });
//     // -> header `X-API-Key: <key>` (scopes matter; `*` grants all)
//   const { key: adminKey } = await createApiKey(store, { name: 'ops', admin: true });
//     // -> `Authorization: Bearer <adminKey>` or 000's body `AdminAPIKey` (role admin + scope system:admin)
//   const identity = createIdentityService({ store, auth: config.auth, sources: config.sources, logger });
//   const { sessionId } = (await identity.login('ada', 'long enough', '127.0.0.1'))!;
//     // -> `Cookie: psession=<sessionId>` or 000's body `SessionID`
//   const jwt = await signHs256Jwt({ secret: config.auth.jwt.secret, role: 'admin', claims: { sub: 'ada' }, roleClaim: 'role' });
//     // -> `Authorization: Bearer <jwt>` (issuer/audience must match auth.jwt when configured)
//   await revokeApiKey(store, id);
//
// Tests that send many bad credentials from one address should raise auth.throttle.maxFailures
// (and maxAccountFailures when they are against one account).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { safeErrorMessage } from '../shared/redact.ts';
import type { SourceDefinition } from '../checks/types.ts';
import type { AuthConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';
import { CREDENTIALS_CHANNEL, type CredentialRevocation } from '../shared/credential-events.ts';
import { API_KEY_PREFIX, apiKeyId, isAdminKey, looksLikeApiKey, revokeApiKey, verifyApiKey, type ApiKeyRecord } from './api-keys.ts';
import { createCredentialCache, credentialDigest, type CredentialCache } from './credential-cache.ts';
import { presentedCredentials, type PresentedCredential } from './credentials.ts';
import { boundedSessionBackend, boundedStore, withDeadline } from './deadline.ts';
import { createHasuraVerifier, HASURA_SUBJECT } from './hasura.ts';
import { createJwtVerifier } from './jwt.ts';
import { verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { createSessionRedis, findRedisSource } from './redis.ts';
import { createRedisSessionBackend, createSessionManager, createStoreSessionBackend, hashSessionId, type SessionBackend } from './sessions.ts';
import { createThrottle, throttleAccount, type Throttle, type ThrottleKeys } from './throttle.ts';
import type { AuthOutcome, CredentialCarrier, CredentialKind, IdentityService, Principal, Role } from './types.ts';
import { createSetupTokens } from './setup-token.ts';
import { adminExists, changeUserDisabled, createFirstAdmin, findUserForLogin, getUser, sessionAllowed } from './users.ts';

export {
  ADMIN_SCOPE,
  ALL_SCOPES,
  API_KEY_PREFIX,
  createApiKey,
  holdsScope,
  isAdminKey,
  listApiKeys,
  revokeApiKey,
  scopeGranted,
  verifyApiKey,
  type ApiKeyRecord,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from './api-keys.ts';
export { createCredentialCache, type CredentialCache } from './credential-cache.ts';
export { CREDENTIALS_CHANNEL, type CredentialRevocation } from '../shared/credential-events.ts';
export { CREDENTIAL_HEADERS, SESSION_COOKIE } from './credentials.ts';
export { DeadlineExceededError } from './deadline.ts';
export { JwksUnavailableError, signHs256Jwt } from './jwt.ts';
export { hashPassword, verifyPassword, DEFAULT_SCRYPT_PARAMS, MIN_PASSWORD_LENGTH, type ScryptParams } from './passwords.ts';
export { hashSessionId } from './sessions.ts';
export { createSetupTokens, offerFirstAdminSetup, withdrawStaleSetupToken, SETUP_TOKEN_FILE, SETUP_TOKEN_HEADER, type SetupTokens } from './setup-token.ts';
export {
  adminExists,
  createFirstAdmin,
  createUser,
  generatePassword,
  IdentityInputError,
  changeUserDisabled,
  isRole,
  listUsers,
  sessionAllowed,
  setUserDisabled,
  type CreateUserInput,
  type UserRecord,
} from './users.ts';

/** What to tell someone whose Vigil has no admin yet (000's error 2 is this state). */
export const FIRST_ADMIN_HINT =
  'No admin user exists yet. Create one with: vigil users add <username> --role admin ' +
  '(with the embedded store, while Vigil is stopped), or while it runs with POST /v1/auth/setup ' +
  'and the one-time token in <store.data_dir>/setup-token.';

/** Login was refused before checking anything: too many recent failures from this address. */
export class LoginThrottledError extends Error {
  override readonly name = 'LoginThrottledError';
  constructor(readonly retryAfterMs: number) {
    super('too many failed attempts; try again later');
  }
}

/** A credential could not be checked (store, Redis or JWKS unreachable): a 5xx, not a 401. */
export class IdentityUnavailableError extends Error {
  override readonly name = 'IdentityUnavailableError';
}

export interface IdentityServiceInput {
  readonly store: Store;
  readonly auth: AuthConfig;
  readonly sources: readonly SourceDefinition[];
  readonly logger: Logger;
  /** Injected clock (epoch ms) for expiry, idle timeout and throttling; defaults to Date.now. */
  readonly now?: () => number;
  /** Prefix of Vigil's keys in the session Redis; tests pass a random one. Default `vigil:`. */
  readonly redisKeyPrefix?: string;
  /** Log FIRST_ADMIN_HINT when no admin exists (default true). */
  readonly announceBootstrap?: boolean;
  /**
   * The store's PostgreSQL URL when it is one (store.url): failed authentications are then
   * counted in it, by every replica towards one limit. Absent: counted in this process.
   */
  readonly storeUrl?: string;
}

/** The service behind `deps.identity`: authentication, login/logout, session checks. */
export type IdentityServiceImpl = IdentityService & {
  /** Where sessions live. */
  readonly sessionBackend: SessionBackend['kind'];
  /**
   * Credentials verified lately (see credential-cache.ts): accepted again within
   * auth.credential_reuse while every revocation is heard, and for auth.credential_cache_ttl
   * when the store cannot answer. Otherwise every request reads the store first.
   */
  readonly credentialCache: CredentialCache;
  /**
   * Forgets what the cache holds of a revoked credential: the hook of the replicas' broadcast
   * (CREDENTIALS_CHANNEL, src/coordination/revocations.ts). `{ kind: 'all' }` when it may have
   * missed some (its LISTEN connection was lost).
   */
  revoked(target: CredentialRevocation): void;
  /**
   * Whether this process hears every revocation now (its LISTEN connection on the store is up):
   * only then is an API key or session verified within auth.credential_reuse accepted without a
   * store read.
   */
  revocationFeed(live: boolean): void;
  /** Revokes a key (by id or `vgl_<id>` prefix) and forgets it at once. False when unknown. */
  revokeApiKey(idOrPrefix: string): Promise<boolean>;
  /** Disables (ending every session) or re-enables a user, effective at once. False when unknown. */
  setUserDisabled(username: string, disabled: boolean): Promise<boolean>;
  /** Milliseconds until the address and the account may try again (0 when neither is throttled). */
  retryAfterMs(keys: ThrottleKeys): Promise<number>;
};

function sessionBackendFor(input: IdentityServiceInput, store: Store): { backend: SessionBackend; redis?: Redis } {
  const name = input.auth.session.redisSource;
  if (!name) return { backend: createStoreSessionBackend(store) };
  const redis = createSessionRedis(findRedisSource(input.sources, name));
  let lastWarning = 0;
  redis.on('error', (error: unknown) => {
    // ioredis repeats the same connection error on every retry; one line a minute is enough.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    input.logger.warn({ source: name, err: safeErrorMessage(error) }, 'session redis unavailable');
  });
  return { backend: createRedisSessionBackend(redis, input.redisKeyPrefix ?? 'vigil:'), redis };
}

/**
 * What a failure is counted against: the address, and the account the first credential names
 * that names one (an API key's id, the Hasura admin secret). Sessions and JWTs name none that
 * a guess could target.
 */
function throttleKeys(ip: string, ...credentials: readonly PresentedCredential[]): ThrottleKeys {
  for (const { kind, value } of credentials) {
    if (kind === 'hasuraAdminSecret') return { ip, account: throttleAccount.hasura };
    if (kind === 'apiKey' || kind === 'adminApiKey') {
      const id = apiKeyId(value);
      if (id !== undefined) return { ip, account: throttleAccount.apiKey(id) };
    }
  }
  return { ip };
}

/** The subject of a request made with the setup token (no user exists behind it yet). */
const SETUP_SUBJECT = 'setup-token';

/** Credentials never answered from the cache: nothing in the store to be unavailable (or, for JWTs, a signature to check). */
function uncached(kind: CredentialKind): boolean {
  return kind === 'bearerJwt' || kind === 'hasuraAdminSecret' || kind === 'setupToken';
}

/** Credentials accepted again within auth.credential_reuse without reading the store. */
function reusable(kind: CredentialKind): boolean {
  return kind === 'apiKey' || kind === 'adminApiKey' || kind === 'sessionCookie';
}

/** The credentials `authenticate` tries, in its order: the accepted kinds' in turn. */
function presentedFor(carrier: CredentialCarrier, accepted: readonly CredentialKind[]): PresentedCredential[] {
  return [...new Set(accepted)].flatMap((kind) => presentedCredentials(carrier, kind));
}

function hasuraPrincipal(role: Role): Principal {
  return { subject: HASURA_SUBJECT, role, via: 'hasuraAdminSecret', scopes: ['*'] };
}

function keyPrincipal(record: ApiKeyRecord, via: CredentialKind): Principal {
  return { subject: record.userId ?? `apikey:${record.id}`, role: record.role, via, scopes: record.scopes, keyId: record.id };
}

export function createIdentityService(input: IdentityServiceInput): IdentityServiceImpl {
  const { auth, logger } = input;
  const now = input.now ?? Date.now;
  // Every store, session-store and JWKS call made here gives up after auth.store_timeout.
  const store = boundedStore(input.store, auth.storeTimeoutMs);
  const { backend: unbounded } = sessionBackendFor(input, store);
  const backend = boundedSessionBackend(unbounded, auth.storeTimeoutMs);
  // A session's use is written at most once per auth.credential_reuse, as often as a reused
  // session is read again at most; never less often than twice per idle timeout, so that a
  // session in use does not time out however the two are set.
  const sessions = createSessionManager({
    backend,
    ttlMs: auth.session.ttlMs,
    idleTimeoutMs: auth.session.idleTimeoutMs,
    touchEveryMs: Math.min(auth.credentialReuseMs, Math.floor(auth.session.idleTimeoutMs / 2)),
    now,
  });
  const jwt = auth.jwt ? createJwtVerifier({ config: auth.jwt, now, jwksTimeoutMs: auth.storeTimeoutMs }) : undefined;
  const cache = createCredentialCache({ ttlMs: auth.credentialCacheTtlMs, now });
  const hasura = createHasuraVerifier(auth.hasuraAdminSecret);
  const setupTokens = createSetupTokens();
  /** One first-admin creation at a time in this process (the statement also checks the store). */
  let firstAdminQueue: Promise<unknown> = Promise.resolve();
  const throttle: Throttle = createThrottle({
    maxFailures: auth.throttle.maxFailures,
    maxAccountFailures: auth.throttle.maxAccountFailures,
    windowMs: auth.throttle.windowMs,
    storeUrl: input.storeUrl,
    storeTimeoutMs: auth.storeTimeoutMs,
    onStoreError: (error) =>
      logger.warn({ err: safeErrorMessage(error) }, 'the shared throttle cannot use the store; failures are counted in this process meanwhile'),
  });

  const storeTimeoutMs = auth.storeTimeoutMs;

  /** Addresses whose right Hasura secret the throttle let through lately, until when (epoch ms). */
  const hasuraClearUntil = new Map<string, number>();
  /**
   * The throttle's answer for a right Hasura admin secret from `ip`. A "not throttled" answer is
   * reused for auth.credential_reuse, so a monitor polling with the secret does not cost the
   * store two reads per request; any failure from the address ends the reuse at once.
   */
  /** Whether the throttle's "clear" for a right Hasura secret from `ip` is still reused. */
  function hasuraCleared(ip: string): boolean {
    return reuseMs > 0 && (hasuraClearUntil.get(ip) ?? 0) > now();
  }
  async function hasuraBlockedMs(ip: string, credential: PresentedCredential): Promise<number> {
    if (hasuraCleared(ip)) return 0;
    const blockedMs = await throttle.blockedMs(throttleKeys(ip, credential));
    if (reuseMs > 0 && blockedMs === 0) {
      if (hasuraClearUntil.size >= 10_000) hasuraClearUntil.clear();
      hasuraClearUntil.set(ip, now() + reuseMs);
    }
    return blockedMs;
  }
  let lastUnavailableWarning = 0;
  let quietUnavailable = 0;
  /** One line per 10 s while the store (or JWKS) cannot answer, not one per request. */
  function warnUnavailable(kind: CredentialKind, error: unknown, value: string, served: boolean): void {
    const at = Date.now();
    if (at - lastUnavailableWarning < 10_000) {
      quietUnavailable += 1;
      return;
    }
    lastUnavailableWarning = at;
    const alsoSince = quietUnavailable;
    quietUnavailable = 0;
    logger.warn(
      { scheme: kind, err: safeErrorMessage(error, [value]), servedFromCache: served, ...(alsoSince > 0 ? { alsoSince } : {}) },
      served ? 'credential check failed; answered from the credentials verified lately' : 'credential check failed',
    );
  }

  /**
   * A credential checked against the store (or the JWKS), within auth.store_timeout. When that
   * check cannot be made, a key or session the store verified within auth.credential_cache_ttl
   * is accepted from the cache; otherwise the error goes up (503).
   */
  const reuseMs = auth.credentialReuseMs;
  // False until the revocation listener says it is connected, and again whenever it is lost:
  // a key or session verified lately is then checked against the store on every request.
  let revocationsHeard = false;

  /**
   * A key or session the store verified within auth.credential_reuse, while every revocation
   * is heard (a revocation drops it from the cache at once): accepted without a store read.
   */
  function reused(kind: CredentialKind, value: string): Principal | undefined {
    if (!reusable(kind) || reuseMs <= 0 || !revocationsHeard) return undefined;
    return cache.recent(kind, value, reuseMs);
  }

  /**
   * Bumped by every revocation this process makes or hears. A store read that began before one
   * may have seen the credential still valid: its answer is not cached, nor shared with
   * requests that arrive after the revocation.
   */
  let revocations = 0;
  function forgetRevoked(target: CredentialRevocation): void {
    revocations += 1;
    cache.revoke(target);
  }

  /**
   * Store reads of a key or session under way, by the digest of kind and credential: requests
   * that arrive while one is in flight (a flood once auth.credential_reuse runs out) share it
   * instead of each reading (and touching) the store.
   */
  const inFlight = new Map<string, { readonly revocations: number; readonly read: Promise<Verified | undefined> }>();

  function verifyShared(credential: PresentedCredential, deadline: () => Promise<Verified | undefined>): Promise<Verified | undefined> {
    if (!reusable(credential.kind)) return deadline();
    const key = credentialDigest(credential.kind, credential.value);
    const running = inFlight.get(key);
    if (running && running.revocations === revocations) return running.read;
    const read = deadline().finally(() => {
      if (inFlight.get(key)?.read === read) inFlight.delete(key);
    });
    inFlight.set(key, { revocations, read });
    return read;
  }

  async function verify(credential: PresentedCredential): Promise<Principal | undefined> {
    const { kind, value } = credential;
    const recent = reused(kind, value);
    if (recent) return recent;
    const revokedBefore = revocations;
    let fresh: Awaited<ReturnType<typeof verifyFresh>>;
    try {
      fresh = await verifyShared(credential, () => withDeadline(verifyFresh(credential), storeTimeoutMs, kind === 'bearerJwt' ? 'the JWKS' : 'the store'));
    } catch (error) {
      const cached = uncached(kind) ? undefined : cache.get(kind, value);
      warnUnavailable(kind, error, value, cached !== undefined);
      if (cached) return cached;
      throw error;
    }
    if (uncached(kind)) return fresh?.principal;
    if (!fresh) {
      cache.forget(kind, value);
      return undefined;
    }
    if (revocations === revokedBefore) cache.set(kind, value, fresh.principal, { userId: fresh.userId, until: fresh.until });
    return fresh.principal;
  }

  interface Verified {
    readonly principal: Principal;
    /** The user a key or session belongs to (a `user` revocation ends it). */
    readonly userId?: string;
    /** When the credential ends by itself (epoch ms). */
    readonly until?: number;
  }

  async function verifyFresh(credential: PresentedCredential): Promise<Verified | undefined> {
    const { kind, value } = credential;
    switch (kind) {
      case 'adminApiKey':
      case 'apiKey': {
        if (!looksLikeApiKey(value)) return undefined;
        const record = await verifyApiKey(store, value, new Date(now()), kind === 'adminApiKey' ? isAdminKey : undefined);
        return record ? { principal: keyPrincipal(record, kind), userId: record.userId ?? undefined } : undefined;
      }
      case 'bearerJwt': {
        if (!jwt || looksLikeApiKey(value)) return undefined;
        const verified = await jwt.verify(value);
        return verified ? { principal: { subject: verified.subject, role: verified.role, via: kind, scopes: ['*'] } } : undefined;
      }
      case 'sessionCookie': {
        const session = await sessions.resolve(value, { touch: true });
        const user = session ? await getUser(store, session.record.userId) : undefined;
        if (!session || !user || !sessionAllowed(user, session.record.userEpoch)) return undefined;
        return {
          // The handle of the session (SHA-256 of its id), not the secret id itself.
          principal: { subject: user.id, role: user.role, via: kind, scopes: ['*'], sessionId: session.idHash },
          userId: user.id,
          // Its idle timeout runs from the use the backend recorded (written at most once per
          // auth.credential_reuse), not from this request.
          until: Math.min(session.record.expiresAt, session.record.lastSeenAt + auth.session.idleTimeoutMs),
        };
      }
      case 'hasuraAdminSecret': {
        const role = hasura.verify(value, credential.hasuraRole);
        return role ? { principal: hasuraPrincipal(role) } : undefined;
      }
      case 'setupToken':
        // Grants nothing but the one operation that accepts it (the first admin's creation).
        return setupTokens.verify(value) ? { principal: { subject: SETUP_SUBJECT, role: 'viewer', via: kind, scopes: [] } } : undefined;
    }
  }

  /** Tells every replica listening on the store (CREDENTIALS_CHANNEL); this one has forgotten it already. */
  async function broadcast(target: CredentialRevocation): Promise<void> {
    try {
      await store.query('SELECT pg_notify($1, $2)', [CREDENTIALS_CHANNEL, JSON.stringify(target)]);
    } catch (error) {
      logger.warn({ err: safeErrorMessage(error) }, 'could not tell the other replicas of a revoked credential; they drop it within auth.credential_cache_ttl');
    }
  }

  const service: IdentityServiceImpl = {
    sessionBackend: backend.kind,
    retryAfterMs: (keys) => throttle.blockedMs(keys),

    async authenticate(carrier: CredentialCarrier, accepted: readonly CredentialKind[]): Promise<AuthOutcome> {
      const credentials = presentedFor(carrier, accepted);
      if (credentials.length === 0) return { ok: false, reason: 'missing' };
      let unavailable: unknown;
      for (const credential of credentials) {
        try {
          const principal = await verify(credential);
          if (!principal) continue;
          // Keys, sessions and JWTs cannot be guessed: a valid one is served even from a
          // throttled address (one attacker behind a shared NAT must not blind every monitor
          // there). The Hasura admin secret is chosen by a person: while its account or the
          // address is throttled, a right guess must look like a wrong one.
          if (credential.kind === 'hasuraAdminSecret') {
            const blockedMs = await hasuraBlockedMs(carrier.ip, credential);
            if (blockedMs > 0) return { ok: false, reason: 'throttled', retryAfterMs: blockedMs };
          }
          return { ok: true, principal };
        } catch (error) {
          unavailable = error;
        }
      }
      if (unavailable !== undefined) throw new IdentityUnavailableError('authentication is unavailable right now');
      const keys = throttleKeys(carrier.ip, ...credentials);
      hasuraClearUntil.delete(carrier.ip);
      const blockedMs = await throttle.blockedMs(keys);
      if (blockedMs > 0) return { ok: false, reason: 'throttled', retryAfterMs: blockedMs };
      await throttle.recordFailure(keys);
      logger.debug({ ip: carrier.ip, schemes: credentials.map((c) => c.kind) }, 'authentication failed');
      return { ok: false, reason: 'invalid' };
    },

    reusable(carrier, accepted) {
      // Only the first credential: were it refused, `authenticate` would try the next, and a
      // refusal is counted (throttle) by the full stack alone.
      const [first] = presentedFor(carrier, accepted);
      if (first === undefined || typeof first.value !== 'string') return undefined;
      if (first.kind === 'hasuraAdminSecret') {
        // What `authenticate` does without awaiting: a right secret, and the throttle's "clear"
        // for the address reused (see hasuraBlockedMs).
        const role = hasura.verify(first.value, first.hasuraRole);
        if (!role || !hasuraCleared(carrier.ip)) return undefined;
        return hasuraPrincipal(role);
      }
      return reused(first.kind, first.value);
    },

    async sessionActive(sessionId) {
      const session = await sessions.resolve(sessionId);
      const user = session ? await getUser(store, session.record.userId) : undefined;
      return session !== undefined && user !== undefined && sessionAllowed(user, session.record.userEpoch);
    },

    adminExists: () => adminExists(store),

    setupTokens,

    createFirstAdmin(username, password) {
      const attempt = firstAdminQueue.then(async () => {
        const user = await createFirstAdmin(store, { username, password });
        // Spent either way: an admin exists now (this one, or one created meanwhile elsewhere).
        setupTokens.consume();
        return user ? ({ created: true, username: user.username, role: user.role } as const) : ({ created: false } as const);
      });
      firstAdminQueue = attempt.catch(() => undefined);
      return attempt;
    },

    async login(username, password, ip) {
      // Per address and per username, known or not: 40 addresses guessing one password meet
      // the account's limit, and a right password from a throttled address or account is refused.
      const keys: ThrottleKeys = { ip, account: throttleAccount.user(username) };
      const blockedMs = await throttle.blockedMs(keys);
      if (blockedMs > 0) throw new LoginThrottledError(blockedMs);
      const found = await findUserForLogin(store, username);
      const matches = found ? await verifyPassword(password, found.passwordHash) : await verifyAgainstDummy(password);
      if (!found || !matches || found.user.disabled) {
        await throttle.recordFailure(keys);
        return null;
      }
      const { sessionId, expiresAt } = await sessions.create(found.user.id, found.user.sessionEpoch);
      logger.info({ user: found.user.id, role: found.user.role }, 'login');
      return { sessionId, expiresAt, role: found.user.role };
    },

    async logout(sessionId) {
      const target: CredentialRevocation = { kind: 'session', sessionIdHash: hashSessionId(sessionId) };
      // Forgotten after the store's change too, in case a request re-cached it in between.
      try {
        await sessions.revoke(sessionId);
      } finally {
        forgetRevoked(target);
      }
      await broadcast(target);
    },

    credentialCache: cache,
    revoked: (target) => forgetRevoked(target),
    revocationFeed(live) {
      revocationsHeard = live;
    },

    async revokeApiKey(idOrPrefix) {
      const keyId = idOrPrefix.startsWith(API_KEY_PREFIX) ? (idOrPrefix.slice(API_KEY_PREFIX.length).split('_')[0] ?? '') : idOrPrefix;
      try {
        // The statement NOTIFYs the other replicas itself.
        return await revokeApiKey(store, idOrPrefix, new Date(now()));
      } finally {
        forgetRevoked({ kind: 'apiKey', keyId });
      }
    },

    async setUserDisabled(username, disabled) {
      const userId = await changeUserDisabled(store, username, disabled);
      if (userId) forgetRevoked({ kind: 'user', userId });
      return userId !== undefined;
    },

    async close() {
      await backend.close();
      await throttle.close();
    },
  };

  if (input.announceBootstrap ?? true) {
    adminExists(store).then(
      (exists) => {
        if (!exists) logger.warn(FIRST_ADMIN_HINT);
      },
      () => undefined, // the store may be closing already; start-up reports store errors elsewhere
    );
  }
  return service;
}
