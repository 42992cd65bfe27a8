// Where a network dependency lives: either one `url` option or `host`/`port`/`user`/`password`
// fields. Parsed once by the check's factory; the password never leaves through `display`.
import { optionalInteger, optionalString, requiredUrl } from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { CheckConfigError, type SourceDefinition } from './types.ts';

export interface EndpointSpec {
  /** Accepted URL schemes, with the colon (`'postgres:'`); the first is used for display. */
  readonly protocols: readonly string[];
  readonly defaultPort: number;
}

export interface Endpoint {
  /** The `url` option, parsed (credentials still in it); undefined when fields were given. */
  readonly url: URL | undefined;
  readonly host: string;
  readonly port: number;
  /** Option `user` when set, else the URL's user name. */
  readonly user: string | undefined;
  /** Option `password` when set (a secret from env/file), else the URL's password. */
  readonly password: string | undefined;
  /** The URL's path without its leading slash, decoded (a database, vhost or db index). */
  readonly path: string | undefined;
  /** The endpoint as a URL without credentials, for messages and details. */
  readonly display: string;
  /** Every form of the password that could surface in a message. */
  readonly secrets: readonly string[];
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function readEndpoint(def: SourceDefinition, spec: EndpointSpec): Endpoint {
  const where = `source "${def.name}" (${def.kind})`;
  const hasUrl = optionalString(def, 'url') !== undefined;
  const hasHost = optionalString(def, 'host') !== undefined;
  if (hasUrl && (hasHost || def.options['port'] !== undefined)) {
    throw new CheckConfigError(`${where}: set either option "url" or options "host"/"port", not both`);
  }
  if (!hasUrl && !hasHost) {
    throw new CheckConfigError(`${where}: option "url" (or "host") must be set`);
  }

  const userOption = optionalString(def, 'user');
  const passwordOption = optionalString(def, 'password');
  let url: URL | undefined;
  let host: string;
  let port: number;
  let user = userOption;
  let password = passwordOption;
  let path: string | undefined;
  if (hasUrl) {
    url = requiredUrl(def, 'url', spec.protocols);
    host = url.hostname.replace(/^\[|\]$/g, '');
    if (!host) throw new CheckConfigError(`${where}: option "url" must name a host`);
    port = url.port ? Number(url.port) : spec.defaultPort;
    user ??= url.username ? decoded(url.username) : undefined;
    password ??= url.password ? decoded(url.password) : undefined;
    path = url.pathname.length > 1 ? decoded(url.pathname.slice(1)) : undefined;
  } else {
    host = optionalString(def, 'host') ?? '';
    if (!host) throw new CheckConfigError(`${where}: option "host" must be set (a non-empty string)`);
    port = optionalInteger(def, 'port', spec.defaultPort, { min: 1, max: 65_535 });
  }

  const scheme = url?.protocol ?? spec.protocols[0] ?? '';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const display = url ? displayUrl(url.toString()) : `${scheme}//${hostPart}:${port}`;
  const secrets = password ? [password, encodeURIComponent(password)] : [];
  return { url, host, port, user, password, path, display, secrets };
}
