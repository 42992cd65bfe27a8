// Where a network dependency lives: either one `url` option or `host`/`port`/`user`/`password`
// fields (declared once here, spread into each kind's options). Read once by the check's
// factory; the password never leaves through `display`.
import { option } from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { CheckConfigError, type SourceDefinition } from './types.ts';

export interface EndpointSpec {
  /** Accepted URL schemes, with the colon (`'postgres:'`); the first is used for display. */
  readonly protocols: readonly string[];
  readonly defaultPort: number;
}

/** The endpoint options of a kind reached at `spec`, for its `kindOptions({...})`. */
export function endpointOptions(spec: EndpointSpec, what: string) {
  const schemes = spec.protocols.map((p) => `\`${p}//\``).join(' or ');
  return {
    url: option.optionalUrl(
      spec.protocols,
      `Where ${what} is: ${schemes} URL, credentials and path allowed (\`{ env: NAME }\` allowed). Either \`url\` or \`host\`.`,
    ),
    host: option.string(`Host name or address, instead of \`url\`.`),
    port: option.optionalInteger({ min: 1, max: 65_535 }, `Port, with \`host\` (default ${spec.defaultPort}).`),
    user: option.string("User name; wins over the URL's."),
    password: option.secret("Password (a secret: `{ env: NAME }` or `{ file: path }`); wins over the URL's."),
  };
}

/** The endpoint options once read (see endpointOptions). */
export interface EndpointOptions {
  readonly url?: URL | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
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

export function readEndpoint(def: SourceDefinition, options: EndpointOptions, spec: EndpointSpec): Endpoint {
  const where = `source "${def.name}" (${def.kind})`;
  if (options.url !== undefined && (options.host !== undefined || options.port !== undefined)) {
    throw new CheckConfigError(`${where}: set either option "url" or options "host"/"port", not both`);
  }
  if (options.url === undefined && options.host === undefined) {
    throw new CheckConfigError(`${where}: option "url" (or "host") must be set`);
  }

  let host: string;
  let port: number;
  let user = options.user;
  let password = options.password;
  let path: string | undefined;
  const url = options.url;
  if (url !== undefined) {
    host = url.hostname.replace(/^\[|\]$/g, '');
    if (!host) throw new CheckConfigError(`${where}: option "url" must name a host`);
    port = url.port ? Number(url.port) : spec.defaultPort;
    user ??= url.username ? decoded(url.username) : undefined;
    password ??= url.password ? decoded(url.password) : undefined;
    path = url.pathname.length > 1 ? decoded(url.pathname.slice(1)) : undefined;
  } else {
    host = options.host ?? '';
    if (!host) throw new CheckConfigError(`${where}: option "host" must be set (a non-empty string)`);
    port = options.port ?? spec.defaultPort;
  }

  const scheme = url?.protocol ?? spec.protocols[0] ?? '';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const display = url ? displayUrl(url.toString()) : `${scheme}//${hostPart}:${port}`;
  const secrets = password ? [password, encodeURIComponent(password)] : [];
  return { url, host, port, user, password, path, display, secrets };
}
