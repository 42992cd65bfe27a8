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
// Tests that send many bad credentials from one address should raise auth.throttle.maxFailures.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { safeErrorMessage } from '../shared/redact.ts';
import type { SourceDefinition } from '../checks/types.ts';
import type { AuthConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';
import { isAdminKey, looksLikeApiKey, verifyApiKey, type ApiKeyRecord } from './api-keys.ts';
import { presentedCredentials, type PresentedCredential } from './credentials.ts';
import { createHasuraVerifier, HASURA_SUBJECT } from './hasura.ts';
import { createJwtVerifier } from './jwt.ts';
import { verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { createSessionRedis, findRedisSource } from './redis.ts';
import { createRedisSessionBackend, createSessionManager, createStoreSessionBackend, type SessionBackend } from './sessions.ts';
import { createThrottle } from './throttle.ts';
import type { AuthOutcome, CredentialCarrier, CredentialKind, IdentityService, Principal } from './types.ts';
import { adminExists, findUserForLogin, getUser } from './users.ts';

export {
  ADMIN_SCOPE,
  ALL_SCOPES,
  API_KEY_PREFIX,
  createApiKey,
  isAdminKey,
  listApiKeys,
  revokeApiKey,
  scopeGranted,
  verifyApiKey,
  type ApiKeyRecord,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from './api-keys.ts';
export { SESSION_COOKIE } from './credentials.ts';
export { JwksUnavailableError, signHs256Jwt } from './jwt.ts';
export { hashPassword, verifyPassword, DEFAULT_SCRYPT_PARAMS, MIN_PASSWORD_LENGTH, type ScryptParams } from './passwords.ts';
export { hashSessionId } from './sessions.ts';
export {
  adminExists,
  createUser,
  generatePassword,
  IdentityInputError,
  isRole,
  listUsers,
  setUserDisabled,
  type CreateUserInput,
  type UserRecord,
} from './users.ts';

/** What to tell someone whose Vigil has no admin yet (000's error 2 is this state). */
export const FIRST_ADMIN_HINT =
  'No admin user exists yet. Create one with: npm run vigil -- users add <username> --role admin ' +
  '(with the embedded store, stop Vigil first: the data directory is locked while it runs).';

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
}

/** The service behind `deps.identity`: authentication, login/logout, session checks. */
export type IdentityServiceImpl = IdentityService & {
  /** Where sessions live. */
  readonly sessionBackend: SessionBackend['kind'];
  /** Milliseconds until `ip` may try again (0 when not throttled), for Retry-After. */
  retryAfterMs(ip: string): number;
};

function sessionBackendFor(input: IdentityServiceInput): { backend: SessionBackend; redis?: Redis } {
  const name = input.auth.session.redisSource;
  if (!name) return { backend: createStoreSessionBackend(input.store) };
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

function keyPrincipal(record: ApiKeyRecord, via: CredentialKind): Principal {
  return { subject: record.userId ?? `apikey:${record.id}`, role: record.role, via, scopes: record.scopes, keyId: record.id };
}

export function createIdentityService(input: IdentityServiceInput): IdentityServiceImpl {
  const { store, auth, logger } = input;
  const now = input.now ?? Date.now;
  const { backend } = sessionBackendFor(input);
  const sessions = createSessionManager({ backend, ttlMs: auth.session.ttlMs, idleTimeoutMs: auth.session.idleTimeoutMs, now });
  const jwt = auth.jwt ? createJwtVerifier({ config: auth.jwt, now }) : undefined;
  const hasura = createHasuraVerifier(auth.hasuraAdminSecret);
  const throttle = createThrottle({ maxFailures: auth.throttle.maxFailures, windowMs: auth.throttle.windowMs, now });

  async function verify(credential: PresentedCredential): Promise<Principal | undefined> {
    const { kind, value } = credential;
    switch (kind) {
      case 'adminApiKey': {
        if (!looksLikeApiKey(value)) return undefined;
        const record = await verifyApiKey(store, value, new Date(now()), isAdminKey);
        return record ? keyPrincipal(record, kind) : undefined;
      }
      case 'apiKey': {
        if (!looksLikeApiKey(value)) return undefined;
        const record = await verifyApiKey(store, value, new Date(now()));
        return record ? keyPrincipal(record, kind) : undefined;
      }
      case 'bearerJwt': {
        if (!jwt || looksLikeApiKey(value)) return undefined;
        const verified = await jwt.verify(value);
        return verified ? { subject: verified.subject, role: verified.role, via: kind, scopes: ['*'] } : undefined;
      }
      case 'sessionCookie': {
        const session = await sessions.resolve(value, { touch: true });
        const user = session ? await getUser(store, session.record.userId) : undefined;
        if (!session || !user || user.disabled) return undefined;
        // The handle of the session (SHA-256 of its id), not the secret id itself.
        return { subject: user.id, role: user.role, via: kind, scopes: ['*'], sessionId: session.idHash };
      }
      case 'hasuraAdminSecret': {
        const role = hasura.verify(value, credential.hasuraRole);
        return role ? { subject: HASURA_SUBJECT, role, via: kind, scopes: ['*'] } : undefined;
      }
    }
  }

  const service: IdentityServiceImpl = {
    sessionBackend: backend.kind,
    retryAfterMs: (ip) => throttle.retryAfterMs(ip),

    async authenticate(carrier: CredentialCarrier, accepted: readonly CredentialKind[]): Promise<AuthOutcome> {
      const credentials = [...new Set(accepted)].flatMap((kind) => presentedCredentials(carrier, kind));
      if (credentials.length === 0) return { ok: false, reason: 'missing' };
      if (throttle.isThrottled(carrier.ip)) return { ok: false, reason: 'throttled' };
      let unavailable: unknown;
      for (const credential of credentials) {
        try {
          const principal = await verify(credential);
          if (principal) return { ok: true, principal };
        } catch (error) {
          unavailable = error;
          logger.warn({ scheme: credential.kind, err: safeErrorMessage(error, [credential.value]) }, 'credential check failed');
        }
      }
      if (unavailable !== undefined) throw new IdentityUnavailableError('authentication is unavailable right now');
      throttle.recordFailure(carrier.ip);
      logger.debug({ ip: carrier.ip, schemes: credentials.map((c) => c.kind) }, 'authentication failed');
      return { ok: false, reason: 'invalid' };
    },

    async sessionActive(sessionId) {
      const session = await sessions.resolve(sessionId);
      const user = session ? await getUser(store, session.record.userId) : undefined;
      return user !== undefined && !user.disabled;
    },

    adminExists: () => adminExists(store),

    async login(username, password, ip) {
      if (throttle.isThrottled(ip)) throw new LoginThrottledError(throttle.retryAfterMs(ip));
      const found = await findUserForLogin(store, username);
      const matches = found ? await verifyPassword(password, found.passwordHash) : await verifyAgainstDummy(password);
      if (!found || !matches || found.user.disabled) {
        throttle.recordFailure(ip);
        return null;
      }
      const { sessionId, expiresAt } = await sessions.create(found.user.id);
      logger.info({ user: found.user.id, role: found.user.role }, 'login');
      return { sessionId, expiresAt, role: found.user.role };
    },

    async logout(sessionId) {
      await sessions.revoke(sessionId);
    },

    async close() {
      await backend.close();
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
