// Hasura's admin credential: `X-Hasura-Admin-Secret` compared in constant time with the
// configured secret, together with `X-Hasura-Role`. As in Hasura, a right secret alone (no
// `X-Hasura-Role`) or with role `admin` is an admin principal; a right secret with any other
// role is a valid credential without admin rights, so the operation answers 403, not 401.
import { constantTimeEqual } from './secrets.ts';
import type { Role } from './types.ts';

export const HASURA_SUBJECT = 'hasura-admin';

export interface HasuraVerifier {
  /** The role granted, or undefined when the secret is wrong or the scheme is not configured. */
  verify(secret: string, hasuraRole: string | undefined): Role | undefined;
}

export function createHasuraVerifier(configured: string | undefined): HasuraVerifier {
  return {
    verify(secret, hasuraRole) {
      if (!configured) return undefined;
      if (!constantTimeEqual(secret, configured)) return undefined;
      return hasuraRole === undefined || hasuraRole === 'admin' ? 'admin' : 'viewer';
    },
  };
}
