// vigil-client: the client generated from Vigil's spec (src/generated, by `npm run generate`
// at the repository root) plus createVigilClient, which takes the base URL and credentials
// from the caller. Every operation takes `{ client }`; nothing is sent anywhere by default.
import { createClient, createConfig, type Client, type Config } from './generated/client/index.js';
import type { Auth } from './generated/core/auth.gen.js';

export * from './generated/sdk.gen.js';
export type * from './generated/types.gen.js';
export type { Client } from './generated/client/index.js';

/** Whatever the operations you call need; each is sent only where the spec asks for it. */
export interface VigilCredentials {
  /** `Authorization: Bearer`: an admin API key (`vigil keys create --admin`) or a JWT. */
  readonly bearer?: string;
  /** `X-API-Key`: an API key with scopes (`vigil keys create --scope ...`). */
  readonly apiKey?: string;
  /** The `psession` cookie from `POST /v1/auth/login`. */
  readonly session?: string;
  /** `X-Hasura-Admin-Secret` (sent with `X-Hasura-Role: admin`). */
  readonly hasuraAdminSecret?: string;
  /** `X-Vigil-Setup-Token`: the one-time token for `createFirstAdmin` (`<data_dir>/setup-token`). */
  readonly setupToken?: string;
}

export interface VigilClientOptions {
  /** Where Vigil listens, e.g. `http://vigil.monitoring:8080` (no trailing path needed). */
  readonly baseUrl: string;
  readonly credentials?: VigilCredentials;
  /** Extra headers on every request. */
  readonly headers?: Record<string, string>;
  /** Another fetch implementation (tests, proxies); the global fetch by default. */
  readonly fetch?: typeof fetch;
}

function credentialFor(auth: Auth, credentials: VigilCredentials): string | undefined {
  if (auth.scheme === 'bearer') return credentials.bearer;
  switch (auth.name) {
    case 'X-API-Key':
      return credentials.apiKey;
    case 'psession':
      return credentials.session;
    case 'X-Hasura-Admin-Secret':
      return credentials.hasuraAdminSecret;
    case 'X-Vigil-Setup-Token':
      return credentials.setupToken;
    case 'X-Hasura-Role':
      return credentials.hasuraAdminSecret === undefined ? undefined : 'admin';
    default:
      return undefined;
  }
}

/** A client for one Vigil: pass it to every operation as `{ client }`. */
export function createVigilClient(options: VigilClientOptions): Client {
  if (!/^https?:\/\//.test(options.baseUrl)) {
    throw new TypeError(`vigil-client: baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
  }
  const credentials = options.credentials ?? {};
  const config: Config = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    auth: (auth) => credentialFor(auth, credentials),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  return createClient(createConfig(config));
}
