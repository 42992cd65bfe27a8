// API keys: `vgl_<id>_<secret>`. `vgl_` says "this is a Vigil key" (so `Authorization: Bearer`
// can tell a key from a JWT, and secret scanners can find leaked keys); `<id>` is public and
// indexes the row; `<secret>` is 32 random bytes. Only the SHA-256 of the whole key is stored,
// the plaintext is returned once by `createApiKey`.
//
// An ADMIN API key (000's AdminAPIKey, the `adminApiKey` scheme) is a key whose role is admin or
// owner AND whose scopes include `system:admin`. `vigil keys create --admin` makes one.
import { randomBytes } from 'node:crypto';
import { CREDENTIALS_CHANNEL } from '../shared/credential-events.ts';
import type { Store } from '../store/types.ts';
import { constantTimeEqual, sha256Hex } from './secrets.ts';
import { roleAtLeast, type Role } from './types.ts';
import { assertRole, IdentityInputError } from './users.ts';

export const API_KEY_PREFIX = 'vgl_';
export const ADMIN_SCOPE = 'system:admin';
/** Scope that grants every scope. */
export const ALL_SCOPES = '*';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_LENGTH = 12;
const KEY_SHAPE = /^vgl_([a-z2-7]{12})_([0-9a-f]{64})$/;
const SCOPE_SHAPE = /^(\*|[a-z][a-z0-9_.-]*(:[a-z0-9_.*-]+)*)$/;

export interface ApiKeyRecord {
  readonly id: string;
  /** `vgl_<id>`: the non-secret start of the key, safe to display. */
  readonly prefix: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly role: Role;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly userId: string | null;
}

export interface CreateApiKeyInput {
  readonly name: string;
  /** Default `viewer`, or `admin` with `admin: true`. */
  readonly role?: Role;
  readonly scopes?: readonly string[];
  /** Make an admin API key: role at least admin and the `system:admin` scope added. */
  readonly admin?: boolean;
  /** Tie the key to a user: it stops working while that user is disabled. */
  readonly userId?: string;
}

export interface CreatedApiKey {
  readonly id: string;
  /** The plaintext key. Shown once; Vigil cannot show it again. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

function randomId(): string {
  const bytes = randomBytes(ID_LENGTH);
  return Array.from(bytes, (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');
}

/** The id of a well-formed key, else undefined. Says nothing about validity. */
export function apiKeyId(key: string): string | undefined {
  return KEY_SHAPE.exec(key)?.[1];
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function isAdminKey(record: Pick<ApiKeyRecord, 'role' | 'scopes'>): boolean {
  return roleAtLeast(record.role, 'admin') && (record.scopes.includes(ADMIN_SCOPE) || record.scopes.includes(ALL_SCOPES));
}

/**
 * Does a caller with these role and scopes hold `scope`? Its scopes say so (see scopeGranted),
 * or it is an admin API key and `scope` is a read scope: an admin API key (role admin or
 * owner, scope `system:admin`) reads everything a viewer reads, as an admin's session does.
 */
export function holdsScope(caller: Pick<ApiKeyRecord, 'role' | 'scopes'>, scope: string): boolean {
  return scopeGranted(caller.scopes, scope) || (scope.endsWith(':read') && isAdminKey(caller));
}

/** Does a principal's scope list grant `scope`? `*` grants all; `health:*` grants `health:read`. */
export function scopeGranted(scopes: readonly string[], scope: string): boolean {
  return scopes.some(
    (granted) => granted === ALL_SCOPES || granted === scope || (granted.endsWith(':*') && scope.startsWith(granted.slice(0, -1))),
  );
}

interface ApiKeyRow extends Record<string, unknown> {
  id: string;
  prefix: string;
  hash: string;
  name: string;
  scopes: string[];
  role: Role;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  user_id: string | null;
}

const COLUMNS = 'id, prefix, name, scopes, role, created_at, last_used_at, revoked_at, user_id';

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    scopes: [...row.scopes],
    role: row.role,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    userId: row.user_id,
  };
}

export async function createApiKey(store: Store, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw new IdentityInputError('key name must be 1-100 characters');
  const role = assertRole(input.role ?? (input.admin ? 'admin' : 'viewer'));
  const scopes = new Set(input.scopes ?? []);
  for (const scope of scopes) {
    if (!SCOPE_SHAPE.test(scope)) throw new IdentityInputError(`scope "${scope}" must look like "health:read" or "*"`);
  }
  if (input.admin) {
    if (!roleAtLeast(role, 'admin')) throw new IdentityInputError(`an admin key needs role admin or owner (got "${role}")`);
    scopes.add(ADMIN_SCOPE);
  }
  const id = randomId();
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('hex')}`;
  const [row] = await store.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, prefix, hash, name, scopes, role, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING ${COLUMNS}`,
    [id, `${API_KEY_PREFIX}${id}`, sha256Hex(key), name, [...scopes], role, input.userId ?? null],
  );
  return { id, key, record: toRecord(row as ApiKeyRow) };
}

export async function listApiKeys(store: Store): Promise<ApiKeyRecord[]> {
  const rows = await store.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`);
  return rows.map(toRecord);
}

/** Revokes a key by id (or by its `vgl_<id>` prefix). False when no such active key exists. */
export async function revokeApiKey(store: Store, idOrPrefix: string, now: Date = new Date()): Promise<boolean> {
  const id = idOrPrefix.startsWith(API_KEY_PREFIX) ? idOrPrefix.slice(API_KEY_PREFIX.length).split('_')[0] : idOrPrefix;
  // The same statement NOTIFYs every replica, which drops the key from its credential cache.
  const rows = await store.query(
    `WITH revoked AS (UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
     SELECT id, pg_notify('${CREDENTIALS_CHANNEL}', json_build_object('kind', 'apiKey', 'keyId', id)::text) FROM revoked`,
    [id, now],
  );
  return rows.length > 0;
}

// Burned when the id is unknown, so an unknown id and a wrong secret take the same path.
const DUMMY_HASH = sha256Hex('vigil-dummy-key');

/**
 * The record of a valid, unrevoked key whose owner (if any) is enabled and that `accept`
 * admits (e.g. `isAdminKey` where only admin keys will do), else undefined. Records the use
 * in `last_used_at` only when the key is accepted.
 */
export async function verifyApiKey(
  store: Store,
  key: string,
  now: Date = new Date(),
  accept: (record: ApiKeyRecord) => boolean = () => true,
): Promise<ApiKeyRecord | undefined> {
  const id = apiKeyId(key);
  const [row] = id
    ? await store.query<ApiKeyRow & { user_disabled: boolean | null }>(
        `SELECT k.id, k.prefix, k.hash, k.name, k.scopes, k.role, k.created_at, k.last_used_at, k.revoked_at,
                k.user_id, u.disabled AS user_disabled
           FROM api_keys k LEFT JOIN users u ON u.id = k.user_id
          WHERE k.id = $1`,
        [id],
      )
    : [];
  const matches = constantTimeEqual(sha256Hex(key), row?.hash ?? DUMMY_HASH);
  if (!row || !matches || row.revoked_at !== null || row.user_disabled === true) return undefined;
  if (!accept(toRecord(row))) return undefined;
  const lastUsed = row.last_used_at ? new Date(row.last_used_at) : null;
  // A write per request would cap every API-key endpoint at the store's write rate (see
  // scripts/bench); a last-use time to the minute is what operators read.
  if (lastUsed === null || now.getTime() - lastUsed.getTime() >= LAST_USED_RESOLUTION_MS) {
    await store.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [row.id, now]);
    return { ...toRecord(row), lastUsedAt: now };
  }
  return toRecord(row);
}

/** How stale `last_used_at` may be: it is written at most once a minute per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;
