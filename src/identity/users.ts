// Users: a username, a scrypt password hash and a role. Plain functions over the Store so the
// CLI, the identity service and other engineers' tests share them.
import { randomUUID } from 'node:crypto';
import { StoreError, UNIQUE_VIOLATION } from '../store/driver.ts';
import type { Store } from '../store/types.ts';
import { CREDENTIALS_CHANNEL } from '../shared/credential-events.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, type ScryptParams } from './passwords.ts';
import { randomToken } from './secrets.ts';
import { ROLES, type Role } from './types.ts';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly disabled: boolean;
  /** Raised each time the user is disabled: a session started under an older epoch is over. */
  readonly sessionEpoch: number;
}

export interface CreateUserInput {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  /** Tests may pass cheaper parameters; production uses the defaults. */
  readonly scrypt?: ScryptParams;
}

/** A refused input (bad username, weak password, duplicate): the message is safe to print. */
export class IdentityInputError extends Error {
  override readonly name = 'IdentityInputError';
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function assertRole(value: string): Role {
  if (!isRole(value)) throw new IdentityInputError(`role must be one of ${ROLES.join(', ')} (got "${value}")`);
  return value;
}

/** A random password for `vigil users add` without `--password-stdin` (printed once). */
export function generatePassword(): string {
  return randomToken(18);
}

interface UserRow extends Record<string, unknown> {
  id: string;
  username: string;
  role: Role;
  created_at: Date;
  disabled: boolean;
  session_epoch: number;
}

const USER_COLUMNS = 'id, username, role, created_at, disabled, session_epoch';

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    createdAt: new Date(row.created_at),
    disabled: row.disabled,
    sessionEpoch: Number(row.session_epoch),
  };
}

/** Is a session started under `sessionEpoch` still allowed for `user`? */
export function sessionAllowed(user: UserRecord, sessionEpoch: number): boolean {
  return !user.disabled && user.sessionEpoch === sessionEpoch;
}

/** The rules every new user meets, whoever creates it (CLI, setup). */
function checkNewUser(input: CreateUserInput): void {
  if (!USERNAME.test(input.username)) {
    throw new IdentityInputError('username must be 1-64 characters: letters, digits, ".", "_", "@", "-"');
  }
  assertRole(input.role);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new IdentityInputError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

export async function createUser(store: Store, input: CreateUserInput): Promise<UserRecord> {
  checkNewUser(input);
  const passwordHash = await hashPassword(input.password, input.scrypt);
  try {
    const [row] = await store.query<UserRow>(
      `INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
       RETURNING ${USER_COLUMNS}`,
      [randomUUID(), input.username, passwordHash, input.role],
    );
    return toUser(row as UserRow);
  } catch (error) {
    if (error instanceof StoreError && error.code === UNIQUE_VIOLATION) {
      throw new IdentityInputError(`user "${input.username}" already exists`);
    }
    throw error;
  }
}

export async function listUsers(store: Store): Promise<UserRecord[]> {
  const rows = await store.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, username`);
  return rows.map(toUser);
}

export async function getUser(store: Store, id: string): Promise<UserRecord | undefined> {
  const [row] = await store.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return row ? toUser(row) : undefined;
}

/** The user and its password hash, for login only. */
export async function findUserForLogin(
  store: Store,
  username: string,
): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const [row] = await store.query<UserRow & { password_hash: string }>(
    `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE username = $1`,
    [username],
  );
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

/**
 * Disables or re-enables a user; the id of the user, or undefined when no such user exists. Its
 * keys stop working while it is disabled. Disabling also ends every session it has (its session
 * epoch moves on) and re-enabling revives none of them. The same statement NOTIFYs every
 * replica (CREDENTIALS_CHANNEL), which drops what it cached of the user's credentials.
 */
export async function changeUserDisabled(store: Store, username: string, disabled: boolean): Promise<string | undefined> {
  const [row] = await store.query<{ id: string }>(
    `WITH changed AS (
       UPDATE users SET disabled = $2, session_epoch = session_epoch + CASE WHEN $2 THEN 1 ELSE 0 END
        WHERE username = $1 RETURNING id
     )
     SELECT id, pg_notify('${CREDENTIALS_CHANNEL}', json_build_object('kind', 'user', 'userId', id)::text) FROM changed`,
    [username, disabled],
  );
  return row?.id;
}

/** Disables or re-enables a user (see changeUserDisabled); false when no such user exists. */
export async function setUserDisabled(store: Store, username: string, disabled: boolean): Promise<boolean> {
  return (await changeUserDisabled(store, username, disabled)) !== undefined;
}

/** Advisory lock key of the first-admin check (any constant of Vigil's own; "VIGILADM" in ASCII, truncated). */
const FIRST_ADMIN_LOCK = 0x5649_4749_4c41;

/** Does an enabled admin or owner exist? (000's "There is no registered admin user.") */
export async function adminExists(store: Store): Promise<boolean> {
  const rows = await store.query(
    `SELECT 1 AS one FROM users WHERE role IN ('admin', 'owner') AND NOT disabled LIMIT 1`,
  );
  return rows.length > 0;
}

/**
 * Creates the first admin (role admin) only while no enabled admin or owner exists; undefined
 * when one exists already. Behind the setup token. The check and the insert run under one
 * transaction-scoped advisory lock: two replicas, each with its own token, cannot both see
 * "no admin" and both insert (READ COMMITTED alone would let them).
 */
export async function createFirstAdmin(store: Store, input: Omit<CreateUserInput, 'role'>): Promise<UserRecord | undefined> {
  const user = { ...input, role: 'admin' as const };
  checkNewUser(user);
  const passwordHash = await hashPassword(user.password, user.scrypt);
  try {
    const [row] = await store.transaction(async (query) => {
      await query(`SELECT pg_advisory_xact_lock(${FIRST_ADMIN_LOCK})`);
      return query<UserRow>(
        `INSERT INTO users (id, username, password_hash, role)
         SELECT $1, $2, $3, $4
          WHERE NOT EXISTS (SELECT 1 FROM users WHERE role IN ('admin', 'owner') AND NOT disabled)
         RETURNING ${USER_COLUMNS}`,
        [randomUUID(), user.username, passwordHash, user.role],
      );
    });
    return row ? toUser(row) : undefined;
  } catch (error) {
    if (error instanceof StoreError && error.code === UNIQUE_VIOLATION) {
      throw new IdentityInputError(`user "${user.username}" already exists`);
    }
    throw error;
  }
}
