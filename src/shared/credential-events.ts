// What ends a credential, as it travels between processes: the SQL that revokes a key,
// disables a user or ends a session also NOTIFYs this channel (in the same statement or right
// after), and every replica listening on the store drops what it remembered of that credential.
// Shared by identity (which sends) and coordination (which listens); imports nothing of Vigil's.

/** PostgreSQL NOTIFY channel of credential revocations (payload: a CredentialRevocation as JSON). */
export const CREDENTIALS_CHANNEL = 'vigil_credentials';

/** One key, one session (by the SHA-256 of its id, never the id), every credential of a user, or all. */
export type CredentialRevocation =
  | { readonly kind: 'apiKey'; readonly keyId: string }
  | { readonly kind: 'session'; readonly sessionIdHash: string }
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'all' };

/** The revocation a NOTIFY payload carries, or undefined for anything else. */
export function parseCredentialRevocation(payload: string): CredentialRevocation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'apiKey':
      return typeof v.keyId === 'string' ? { kind: 'apiKey', keyId: v.keyId } : undefined;
    case 'session':
      return typeof v.sessionIdHash === 'string' ? { kind: 'session', sessionIdHash: v.sessionIdHash } : undefined;
    case 'user':
      return typeof v.userId === 'string' ? { kind: 'user', userId: v.userId } : undefined;
    case 'all':
      return { kind: 'all' };
    default:
      return undefined;
  }
}
