// Reading credentials off a request, per scheme. Each reader returns every credential of its
// kind the request carries (a header and 000's body may both hold one), without judging it.
import type { CredentialCarrier, CredentialKind } from './types.ts';

export const SESSION_COOKIE = 'psession';

/**
 * Stands in for a credential that is present but unusable (a non-Bearer Authorization header):
 * it fails verification, so the request is "invalid" rather than "missing". No real key, JWT
 * or session id can contain a space.
 */
export const MALFORMED = 'malformed credential';

export interface PresentedCredential {
  readonly kind: CredentialKind;
  readonly value: string;
  /** X-Hasura-Role, for the Hasura scheme. */
  readonly hasuraRole?: string;
}

/**
 * The request headers each kind is read from (lower case), for whoever must know which headers
 * can carry a credential (the fast path). Body fields are not headers: see presentedCredentials.
 */
export const CREDENTIAL_HEADERS: Readonly<Record<CredentialKind, readonly string[]>> = {
  adminApiKey: ['authorization'],
  apiKey: ['x-api-key'],
  bearerJwt: ['authorization'],
  sessionCookie: ['cookie'],
  hasuraAdminSecret: ['x-hasura-admin-secret', 'x-hasura-role'],
  setupToken: ['x-vigil-setup-token'],
};

export function header(carrier: CredentialCarrier, name: string): string | undefined {
  const value = carrier.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

/** The Bearer token, or MALFORMED for an Authorization header of another form (Basic, a bare token). */
function bearerToken(carrier: CredentialCarrier): string | undefined {
  const authorization = header(carrier, 'authorization');
  if (authorization === undefined) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? MALFORMED;
}

function bodyField(carrier: CredentialCarrier, field: string): string | undefined {
  const body = carrier.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function present(kind: CredentialKind, ...values: (string | undefined)[]): PresentedCredential[] {
  return [...new Set(values.filter((value): value is string => value !== undefined))].map((value) => ({ kind, value }));
}

/**
 * The credentials of `kind` on the request. `Authorization: Bearer` is shared by two schemes:
 * a token starting with `vgl_` is an admin API key, anything else a JWT. A Bearer token of the
 * other shape counts as a presented (and therefore invalid) credential for that scheme, so
 * "wrong kind of token" answers like "wrong token", not like "no token".
 */
export function presentedCredentials(carrier: CredentialCarrier, kind: CredentialKind): PresentedCredential[] {
  switch (kind) {
    case 'adminApiKey':
      return present(kind, bearerToken(carrier), bodyField(carrier, 'AdminAPIKey'));
    case 'apiKey':
      return present(kind, header(carrier, 'x-api-key'), bodyField(carrier, 'APIKey'));
    case 'bearerJwt':
      return present(kind, bearerToken(carrier));
    case 'sessionCookie':
      return present(kind, carrier.cookies[SESSION_COOKIE], bodyField(carrier, 'SessionID'));
    case 'hasuraAdminSecret': {
      const secret = header(carrier, 'x-hasura-admin-secret');
      return secret === undefined ? [] : [{ kind, value: secret, hasuraRole: header(carrier, 'x-hasura-role') }];
    }
    case 'setupToken':
      return present(kind, header(carrier, 'x-vigil-setup-token'));
  }
}
