// The HTTP/1.1 client of the `http` and `qdrant` probes: kept-alive connections per origin and
// one request at a time on each, over node:net or node:tls. node:http's client cost about
// 75 µs of CPU per request (ClientRequest, IncomingMessage and their streams, an agent, a
// parser object, listeners added and removed per request); at 20,000 sources that was over a
// third of a core spent on the client alone (issue 10). A probe needs much less: its request
// never changes, so its bytes are made once (`prepareRequest`), and the answer is read into
// a status, a content type and at most MAX_BODY_BYTES of body.
//
// What it does, as node's agent did for the probes: connections are kept alive and shared by
// the sources of one origin (and TLS settings), taken last-in first-out, and closed after
// FREE_SOCKET_MS unused, below the 5 s keep-alive of common servers. A GET or HEAD whose
// reused connection the server had closed is sent once more on a new one. Aborting the
// request destroys its connection at once: a dependency that never answers keeps nothing.
// Bodies are framed by Content-Length, chunked transfer coding or the end of the connection;
// HEAD, 204, 304 and 1xx answers have none. Anything that does not parse is an error naming
// what was wrong, and its connection is closed.
import net from 'node:net';
import tls from 'node:tls';
import { isToken } from '../shared/http-token.ts';

/** Bodies up to this size are read (for `body_contains` and `json_path`); the rest is dropped. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** A response head larger than this is refused (node's own limit is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
/**
 * How long a kept-alive probe connection may sit unused: below the 5 s keep-alive of common
 * servers (Node's included), so Vigil closes it before the server does.
 */
export const FREE_SOCKET_MS = 4_000;
const DAY_MS = 86_400_000;

export interface HttpResponse {
  readonly statusCode: number;
  readonly contentType: string;
  /** At most MAX_BODY_BYTES of the body. */
  readonly body: Buffer;
  /** Days until the peer certificate expires; null over plain HTTP. */
  readonly certificateDaysLeft: number | null;
}

/** A request's bytes, made once per source (its URL, method, headers and body never change). */
export interface PreparedRequest {
  readonly bytes: Buffer;
  readonly method: string;
  /** HEAD: the answer has no body whatever its headers say. */
  readonly head: boolean;
  /** GET and HEAD may be sent again when a kept-alive connection turns out closed. */
  readonly idempotent: boolean;
}

export interface RequestSettings {
  readonly url: URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// What node's own client refuses in a header value (control characters, CR and LF among them).
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The bytes of `settings` as a request: Host, the URL's credentials as Basic authorization
 * (as node's client sends them), the configured headers, Content-Length with a body. Throws
 * an Error saying which header is wrong.
 */
export function prepareRequest(settings: RequestSettings): PreparedRequest {
  const method = (settings.method ?? 'GET').toUpperCase();
  const { url, body } = settings;
  const given = Object.entries(settings.headers ?? {});
  for (const [name, value] of given) {
    if (!TOKEN.test(name)) throw new Error(`header name ${JSON.stringify(name)} is not a valid HTTP header name`);
    if (INVALID_VALUE.test(value)) throw new Error(`header "${name}" has a character that HTTP does not allow in a value`);
  }
  const has = (name: string): boolean => given.some(([key]) => key.toLowerCase() === name);
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`];
  if (!has('host')) lines.push(`Host: ${url.host}`);
  if (!has('authorization') && (url.username || url.password)) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    lines.push(`Authorization: Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  }
  if (!has('connection')) lines.push('Connection: keep-alive');
  for (const [name, value] of given) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding') continue;
    lines.push(`${name}: ${value}`);
  }
  const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
  if (payload !== undefined || METHODS_WITH_BODY.has(method)) lines.push(`Content-Length: ${payload?.length ?? 0}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return {
    bytes: payload === undefined ? head : Buffer.concat([head, payload]),
    method,
    head: method === 'HEAD',
    idempotent: method === 'GET' || method === 'HEAD',
  };
}

export interface TlsSettings {
  /** A PEM bundle of the authorities to trust instead of the system's. */
  readonly ca?: string;
  readonly rejectUnauthorized: boolean;
}

export interface ExchangeInput {
  readonly request: PreparedRequest;
  readonly signal: AbortSignal;
  /**
   * True: only a JSON body is kept; any other is read off the socket and dropped (`body` is
   * empty), so a probe that looks at the status code alone retains nothing of the answer.
   */
  readonly jsonBodyOnly?: boolean;
}

/** The kept-alive connections of one origin and TLS setting, shared by its sources. */
export interface ProbePool {
  request(input: ExchangeInput): Promise<HttpResponse>;
}

const EMPTY_BODY = Buffer.alloc(0);
const JSON_TYPE = /[/+]json\b/i;
export const isJsonType = (contentType: string): boolean => JSON_TYPE.test(contentType);

/** What node's request rejects with when its signal aborts (an AbortError carrying the reason). */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** The server closed a connection before any byte of the answer: "socket hang up", as node says. */
const hangUp = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
/** Errors that ended a request before any byte of its answer arrived (a reused connection's may be retried). */
const beforeAnswer = new WeakSet<Error>();

const malformed = (what: string): Error => new Error(`malformed HTTP response: ${what}`);

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
/** Lengths of the header names the client reads: Connection, Content-Type, Content-Length, Transfer-Encoding. */
const READ_NAME_LENGTHS: ReadonlySet<number> = new Set([10, 12, 14, 17]);

function daysLeft(socket: net.Socket): number | null {
  const peer = (socket as tls.TLSSocket).getPeerCertificate?.();
  const validTo = peer?.valid_to;
  const expires = validTo ? Date.parse(validTo) : Number.NaN;
  return Number.isNaN(expires) ? null : Math.floor((expires - Date.now()) / DAY_MS);
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly servername: string | undefined;
  readonly tls: TlsSettings;
}

type Framing = { readonly kind: 'none' } | { readonly kind: 'length'; remaining: number } | { readonly kind: 'chunked' } | { readonly kind: 'close' };

/**
 * One request and its answer on one connection. Bytes are fed as they arrive; the exchange
 * settles once, with the answer or an error, and says whether the connection may be reused.
 */
class Exchange {
  private settled = false;
  /** Any byte of the answer arrived (a connection that closes before that may be retried). */
  private answered = false;
  private pending: Buffer | undefined;
  private statusCode = 0;
  private contentType = '';
  private reusable = true;
  private framing: Framing | undefined;
  /** Whether body bytes are kept (false: a non-JSON body nobody reads is only counted). */
  private keep = true;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  // Chunked transfer coding: 'size' line, 'data' of `chunkLeft` bytes, its 'crlf', 'trailer' lines.
  private chunkState: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  private chunkLeft = 0;
  private line = '';

  constructor(
    private readonly input: ExchangeInput,
    private readonly secure: boolean,
    private readonly onSettled: (exchange: Exchange, reusable: boolean) => void,
    private readonly resolve: (response: HttpResponse) => void,
    private readonly reject: (error: Error) => void,
    private readonly socket: net.Socket,
  ) {}

  feed(chunk: Buffer): void {
    if (this.settled) return;
    this.answered = true;
    try {
      if (this.framing === undefined) {
        const buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
        this.pending = undefined;
        const rest = this.readHeads(buffer);
        if (rest === undefined || this.settled) return;
        this.body(rest);
      } else {
        this.body(chunk);
      }
    } catch (error) {
      this.fail(error as Error, false);
    }
  }

  /** The server ended the connection (FIN, reset or error): an answer framed by the close is complete. */
  ended(error?: Error): void {
    if (this.settled) return;
    // A clean end completes an answer framed by the close; a reset or error cuts it short.
    if (this.framing?.kind === 'close' && error === undefined) {
      this.reusable = false;
      this.finish();
      return;
    }
    if (this.answered) {
      this.fail(error ?? new Error('the connection closed before the answer was complete'), false);
      return;
    }
    const failure = error ?? hangUp();
    beforeAnswer.add(failure);
    this.fail(failure, false);
  }

  abort(): void {
    this.fail(abortError(this.input.signal), false);
  }

  private fail(error: Error, reusable: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled(this, reusable);
    this.reject(error);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled(this, this.reusable);
    const body = this.chunks.length === 0 ? EMPTY_BODY : this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.resolve({ statusCode: this.statusCode, contentType: this.contentType, body, certificateDaysLeft: this.secure ? daysLeft(this.socket) : null });
  }

  /** Parses response heads (skipping 1xx ones); returns the bytes after the final head, or undefined for more. */
  private readHeads(buffer: Buffer): Buffer | undefined {
    let at = 0;
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n', at, 'latin1');
      if (end < 0) {
        if (buffer.length - at > MAX_HEAD_BYTES) throw malformed(`head larger than ${MAX_HEAD_BYTES} bytes`);
        this.pending = at === 0 ? buffer : buffer.subarray(at);
        return undefined;
      }
      if (end - at > MAX_HEAD_BYTES) throw malformed(`head larger than ${MAX_HEAD_BYTES} bytes`);
      const informational = this.parseHead(buffer.toString('latin1', at, end));
      at = end + 4;
      if (!informational) return buffer.subarray(at);
    }
  }

  /** Reads one head; true for an informational (1xx) answer, which another head follows. */
  private parseHead(text: string): boolean {
    const firstEnd = text.indexOf('\r\n');
    const statusLine = firstEnd < 0 ? text : text.slice(0, firstEnd);
    const status = STATUS_LINE.exec(statusLine);
    if (!status) throw malformed(`status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    const code = Number(status[2]);
    if (code < 100) throw malformed(`status ${code}`);
    if (code === 101) throw malformed('101 Switching Protocols to a request that asked for no upgrade');
    const informational = code < 200;
    let length: number | undefined;
    let chunked = false;
    let transferCoded = false;
    let close = status[1] === '0';
    let contentType: string | undefined;
    // Line by line without splitting: only the four headers read here become strings.
    for (let start = firstEnd < 0 ? text.length : firstEnd + 2; start < text.length; ) {
      const found = text.indexOf('\r\n', start);
      const end = found < 0 ? text.length : found;
      const colon = text.indexOf(':', start);
      if (colon <= start || colon >= end) throw malformed(`header line ${JSON.stringify(text.slice(start, Math.min(end, start + 80)))}`);
      if (!isToken(text, start, colon)) throw malformed(`header name ${JSON.stringify(text.slice(start, Math.min(colon, start + 80)))}`);
      const nameLength = colon - start;
      const name = informational || !READ_NAME_LENGTHS.has(nameLength) ? '' : text.slice(start, colon).toLowerCase();
      const value = name === '' ? '' : text.slice(colon + 1, end).trim();
      start = end + 2;
      switch (name) {
        case 'content-length': {
          if (!/^\d{1,15}$/.test(value)) throw malformed(`Content-Length ${JSON.stringify(value.slice(0, 40))}`);
          const parsed = Number(value);
          if (length !== undefined && length !== parsed) throw malformed('two different Content-Length headers');
          length = parsed;
          break;
        }
        case 'transfer-encoding': {
          transferCoded = true;
          const codings = value.toLowerCase().split(',');
          chunked = codings[codings.length - 1]?.trim() === 'chunked';
          break;
        }
        case 'connection': {
          const tokens = value.toLowerCase().split(',').map((token) => token.trim());
          if (tokens.includes('close')) close = true;
          else if (status[1] === '0' && tokens.includes('keep-alive')) close = false;
          break;
        }
        case 'content-type':
          contentType ??= value;
          break;
        default:
      }
    }
    if (informational) return true;
    this.statusCode = code;
    this.contentType = contentType ?? '';
    this.reusable = !close;
    this.keep = !(this.input.jsonBodyOnly && !isJsonType(this.contentType));
    if (this.input.request.head || code === 204 || code === 304) this.framing = { kind: 'none' };
    else if (transferCoded) {
      // A length beside a transfer coding is ignored, and the connection not trusted again (RFC 9112 6.3).
      if (length !== undefined) this.reusable = false;
      this.framing = chunked ? { kind: 'chunked' } : { kind: 'close' };
    } else if (length !== undefined) this.framing = { kind: 'length', remaining: length };
    else this.framing = { kind: 'close' };
    if (this.framing.kind === 'close') this.reusable = false;
    return false;
  }

  /** Takes body bytes (or, for chunked bodies, the coding around them). */
  private body(bytes: Buffer): void {
    const framing = this.framing as Framing;
    switch (framing.kind) {
      case 'none':
        if (bytes.length > 0) this.reusable = false;
        this.finish();
        return;
      case 'length': {
        const take = Math.min(bytes.length, framing.remaining);
        framing.remaining -= take;
        if (take > 0 && !this.add(bytes.subarray(0, take))) return;
        if (framing.remaining === 0) {
          // Bytes past the answer are none of ours: the connection is not reused.
          if (bytes.length > take) this.reusable = false;
          this.finish();
        }
        return;
      }
      case 'close':
        if (bytes.length > 0) this.add(bytes);
        return;
      case 'chunked':
        this.dechunk(bytes);
    }
  }

  private dechunk(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length && !this.settled) {
      if (this.chunkState === 'data') {
        const take = Math.min(bytes.length - at, this.chunkLeft);
        if (!this.add(bytes.subarray(at, at + take))) return;
        at += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkState = 'crlf';
        continue;
      }
      // A line: a chunk size, the CRLF after a chunk's data, or a trailer.
      const newline = bytes.indexOf(10, at);
      if (newline < 0) {
        this.line += bytes.toString('latin1', at);
        if (this.line.length > 4096) throw malformed('chunk line too long');
        return;
      }
      const line = (this.line + bytes.toString('latin1', at, newline)).replace(/\r$/, '');
      this.line = '';
      at = newline + 1;
      if (this.chunkState === 'crlf') {
        if (line !== '') throw malformed('no CRLF after a chunk');
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        const size = /^([0-9a-fA-F]{1,12})[\t ]*(?:;.*)?$/.exec(line);
        if (!size) throw malformed(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
        this.chunkLeft = Number.parseInt(size[1] as string, 16);
        this.chunkState = this.chunkLeft === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        if (at < bytes.length) this.reusable = false;
        this.finish();
        return;
      }
    }
  }

  /** Keeps (or counts) body bytes; false once the body reached its limit and the answer was settled. */
  private add(bytes: Buffer): boolean {
    if (this.keep) this.chunks.push(bytes.subarray(0, MAX_BODY_BYTES - this.size));
    this.size += bytes.length;
    if (this.size < MAX_BODY_BYTES) return true;
    // Enough: the answer is what was read, and the rest of the body is not waited for.
    this.reusable = false;
    this.finish();
    return false;
  }
}

/** One connection, its listeners set once; idle between exchanges. */
class Connection {
  exchange: Exchange | undefined;
  /** It has carried an answer before (a close before the next answer may be the server's idle close). */
  reused = false;
  idleSince = 0;
  closed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly onClose: (connection: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.exchange) this.exchange.feed(chunk);
      // Bytes nobody asked for: the connection is out of step; close it.
      else socket.destroy();
    });
    socket.on('end', () => {
      this.exchange?.ended();
      socket.destroy();
    });
    socket.on('error', (error: Error) => this.exchange?.ended(error));
    socket.on('close', () => {
      this.closed = true;
      this.exchange?.ended();
      this.onClose(this);
    });
  }
}

/** Connection pools by origin and TLS setting; each user gives its pool back with releaseProbePool. */
const sharedPools = new Map<string, { readonly pool: ProbePoolImpl; users: number }>();

class ProbePoolImpl implements ProbePool {
  /** Unused connections, the most recently used last (taken first). */
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private destroyed = false;

  constructor(private readonly target: Target) {}

  request(input: ExchangeInput): Promise<HttpResponse> {
    const { signal } = input;
    if (signal.aborted) return Promise.reject(abortError(signal));
    const connection = this.take();
    if (!connection.reused || !input.request.idempotent) return this.exchange(connection, input);
    return this.exchange(connection, input).catch((error: Error) => {
      // A kept-alive connection the server closed while it sat unused: the request never
      // reached the service, so a GET or HEAD is sent once more on a new connection (as
      // browsers do).
      if (!beforeAnswer.has(error) || signal.aborted) throw error;
      return this.exchange(this.connect(), input);
    });
  }

  private exchange(connection: Connection, input: ExchangeInput): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const { signal } = input;
      const onAbort = (): void => exchange.abort();
      const settled = (done: Exchange, reusable: boolean): void => {
        signal.removeEventListener('abort', onAbort);
        if (connection.exchange === done) connection.exchange = undefined;
        if (reusable && !connection.closed && !this.destroyed) this.release(connection);
        else connection.socket.destroy();
      };
      const exchange = new Exchange(input, this.target.secure, settled, resolve, reject, connection.socket);
      connection.exchange = exchange;
      signal.addEventListener('abort', onAbort, { once: true });
      if (connection.closed) exchange.ended();
      else connection.socket.write(input.request.bytes);
    });
  }

  /** The most recently used idle connection still within FREE_SOCKET_MS, else a new one. */
  private take(): Connection {
    const now = performance.now();
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (!connection.closed && now - connection.idleSince < FREE_SOCKET_MS) {
        connection.socket.ref();
        return connection;
      }
      connection.socket.destroy();
    }
    return this.connect();
  }

  private connect(): Connection {
    const { host, port, secure, servername } = this.target;
    const socket = secure
      ? tls.connect({ host, port, servername, ca: this.target.tls.ca, rejectUnauthorized: this.target.tls.rejectUnauthorized })
      : net.connect({ host, port });
    const connection = new Connection(socket, (closed) => this.forget(closed));
    this.open.add(connection);
    return connection;
  }

  private release(connection: Connection): void {
    connection.reused = true;
    connection.idleSince = performance.now();
    // An unused connection does not keep the process alive (a command that probed once exits).
    connection.socket.unref();
    this.idle.push(connection);
    // One timer per pool closes what sat unused too long, rather than one per connection.
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), FREE_SOCKET_MS / 4);
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const now = performance.now();
    while (this.idle.length > 0 && now - (this.idle[0] as Connection).idleSince >= FREE_SOCKET_MS) {
      (this.idle.shift() as Connection).socket.destroy();
    }
    if (this.idle.length === 0) this.stopSweeper();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private forget(connection: Connection): void {
    this.open.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  destroy(): void {
    this.destroyed = true;
    this.stopSweeper();
    this.idle.length = 0;
    for (const connection of this.open) connection.socket.destroy();
  }
}

function targetOf(url: URL, settings: TlsSettings): Target {
  const secure = url.protocol === 'https:';
  // URL keeps an IPv6 host in brackets; sockets take it without them.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    secure,
    // SNI takes a name, never an address.
    servername: secure && net.isIP(host) === 0 ? host : undefined,
    tls: settings,
  };
}

/**
 * The pool of `url`'s origin with these TLS settings, shared by every source that asks for the
 * same (a CA or tls_insecure never leaks from one source to another). Thousands of sources on
 * one service are thousands of probes a minute: a connection per probe spent the core on TCP
 * set-up and tear-down (issue 10). Each user gives it back with releaseProbePool.
 */
export function createProbePool(url: URL, settings: TlsSettings = { rejectUnauthorized: true }): ProbePool {
  const key = url.protocol === 'https:' ? `${url.origin}\n${settings.rejectUnauthorized}\n${settings.ca ?? ''}` : url.origin;
  let entry = sharedPools.get(key);
  if (!entry) {
    entry = { pool: new ProbePoolImpl(targetOf(url, settings)), users: 0 };
    sharedPools.set(key, entry);
  }
  entry.users += 1;
  return entry.pool;
}

/** Gives a pool of createProbePool back; the last user closes its connections. */
export function releaseProbePool(pool: ProbePool): void {
  for (const [key, entry] of sharedPools) {
    if (entry.pool !== pool) continue;
    entry.users -= 1;
    if (entry.users <= 0) {
      sharedPools.delete(key);
      entry.pool.destroy();
    }
    return;
  }
}
