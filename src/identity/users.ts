// Users: a username, a scrypt password hash and a role. Plain functions over the Store so the
// CLI, the identity service and other engineers' tests share them.
import { randomUUID } from 'node:crypto';
import { StoreError, UNIQUE_VIOLATION } from '../store/driver.ts';
import type { Store } from '../store/types.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, type ScryptParams } from './passwords.ts';
import { randomToken } from './secrets.ts';
import { ROLES, type Role } from './types.ts';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly disabled: boolean;
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
}

function toUser(row: UserRow): UserRecord {
  return { id: row.id, username: row.username, role: row.role, createdAt: new Date(row.created_at), disabled: row.disabled };
}

export async function createUser(store: Store, input: CreateUserInput): Promise<UserRecord> {
  if (!USERNAME.test(input.username)) {
    throw new IdentityInputError('username must be 1-64 characters: letters, digits, ".", "_", "@", "-"');
  }
  assertRole(input.role);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new IdentityInputError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const passwordHash = await hashPassword(input.password, input.scrypt);
  try {
    const [row] = await store.query<UserRow>(
      `INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
       RETURNING id, username, role, created_at, disabled`,
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
  const rows = await store.query<UserRow>('SELECT id, username, role, created_at, disabled FROM users ORDER BY created_at, username');
  return rows.map(toUser);
}

export async function getUser(store: Store, id: string): Promise<UserRecord | undefined> {
  const [row] = await store.query<UserRow>('SELECT id, username, role, created_at, disabled FROM users WHERE id = $1', [id]);
  return row ? toUser(row) : undefined;
}

/** The user and its password hash, for login only. */
export async function findUserForLogin(
  store: Store,
  username: string,
): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const [row] = await store.query<UserRow & { password_hash: string }>(
    'SELECT id, username, role, created_at, disabled, password_hash FROM users WHERE username = $1',
    [username],
  );
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

/** Disables or re-enables a user; its sessions and keys stop working while disabled. */
export async function setUserDisabled(store: Store, username: string, disabled: boolean): Promise<boolean> {
  const rows = await store.query('UPDATE users SET disabled = $2 WHERE username = $1 RETURNING id', [username, disabled]);
  return rows.length > 0;
}

/** Does an enabled admin or owner exist? (000's "There is no registered admin user.") */
export async function adminExists(store: Store): Promise<boolean> {
  const rows = await store.query(
    `SELECT 1 AS one FROM users WHERE role IN ('admin', 'owner') AND NOT disabled LIMIT 1`,
  );
  return rows.length > 0;
}
