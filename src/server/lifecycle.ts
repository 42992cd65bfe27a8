// The HTTP listener's life: timeouts, the connection cap with headroom for probes, and a
// Kubernetes-style shutdown (lightship/terminus): readiness fails first while everything is
// still served, then the listener closes, keep-alive responses say `Connection: close`,
// in-flight requests finish within a bound, and only then are the remaining sockets cut.
// Independent of how Vigil is started: the entry point creates it, hands it the app, and
// calls shutdown() from its signal handling.
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/types.ts';
import type { RenderRefusal } from '../http/refusal.ts';
import type { FrontAnswer, RequestHead } from '../http/request-head.ts';
import { createConnectionFront, type ConnectionFront } from './connection-front.ts';

export type LifecycleSettings = Pick<
  ServerConfig,
  | 'host'
  | 'port'
  | 'shutdownDelayMs'
  | 'shutdownGraceMs'
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'idleTimeoutMs'
  | 'maxConnections'
  | 'probeConnections'
>;

/** serving → draining (/readyz 503, all else served) → closing (listener closed) → closed. */
export type LifecyclePhase = 'serving' | 'draining' | 'closing' | 'closed';

export interface ShutdownOptions {
  /** Skip `shutdownDelayMs` (nobody routes to an interactive process: Ctrl-C). */
  readonly skipDelay?: boolean;
}

export interface ServerLifecycle {
  readonly server: Server;
  phase(): LifecyclePhase;
  /** True from the first moment of shutdown: readiness answers 503. */
  shuttingDown(): boolean;
  /**
   * Starts listening with `handler`; resolves with the URL once bound. `refusal` writes the
   * answers given before `handler` sees a request (the connection cap, requests Node cannot
   * parse) in the API's error shapes; without it they are plain text.
   */
  listen(handler: RequestListener, options?: ListenOptions): Promise<string>;
  /** Runs the shutdown once (later calls return the same promise); resolves when every socket is closed. */
  shutdown(reason: string, options?: ShutdownOptions): Promise<void>;
  /** Stops at once: ends any shutdown delay and destroys every connection. */
  forceClose(): void;
}

export interface ListenOptions {
  readonly refusal?: RenderRefusal;
  /**
   * Answers a request completely and at once and returns true, or returns false without
   * touching the response (the fast path). Asked first, except while closing and on the
   * connections beyond the cap: an answer ended before this returns is never in flight, so it
   * needs none of the tracking a response that may wait gets (a Set entry and a listener per
   * request, a tenth of a probe answer's CPU under a flood).
   */
  readonly answerAtOnce?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * The same answers for a request head read off the socket (connection-front.ts): with it,
   * connections start in the front and go to Node's parser at the first request it leaves.
   */
  readonly answerHead?: (head: RequestHead) => FrontAnswer | undefined;
}

/** Paths answered on the connections admitted beyond `maxConnections`. */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz']);
/** A probe connection beyond the cap that has not sent its request by then is cut. */
const PROBE_CONNECTION_HEADERS_MS = 2_000;
const SHED_MESSAGE = 'Vigil is at its connection limit; retry shortly';

/** Plain text, for a lifecycle started without the API's error shapes. */
const plainRefusal: RenderRefusal = (_method, _url, _status, message) => ({ contentType: 'text/plain; charset=utf-8', body: `${message}.\n` });

/** What Node could not parse, and how Vigil answers it (Node's own answers have no body). */
function clientErrorStatus(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'Request headers too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time' };
    default:
      return { status: 400, message: 'Malformed HTTP request' };
  }
}

/** Method and target of the request line in what Node was parsing, when it got that far. */
function requestLine(raw: Buffer | undefined): { method?: string; url?: string } {
  const match = raw ? /^([A-Z]{3,10}) (\S{1,2048}) HTTP\/1\.[01]\r?\n/.exec(raw.subarray(0, 2_100).toString('latin1')) : null;
  return match ? { method: match[1], url: match[2] } : {};
}

function urlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * How often connections are looked at for idle_timeout: a connection without traffic is cut
 * between idle_timeout and a quarter more. A sweep, not Node's per-socket timer
 * (`server.timeout`), which re-arms a timer on every read and write: two timer-list
 * insertions and clock reads per request under a flood. Connections the front still reads
 * are held to Node's own deadlines by the same sweep, checked as often as Node checks them:
 * the headers timeout before a first request, the keep-alive timeout after an answer.
 */
function idleSweepMs(settings: LifecycleSettings, front: boolean): number {
  const every = [settings.idleTimeoutMs > 0 ? settings.idleTimeoutMs / 4 : Infinity];
  if (front) every.push(checkingIntervalMs(settings), settings.keepAliveTimeoutMs > 0 ? settings.keepAliveTimeoutMs / 4 : Infinity);
  return Math.max(25, Math.floor(Math.min(...every)));
}

/** What a connection had sent and received at the last sweep that saw it change, and when. */
interface Activity {
  traffic: number;
  since: number;
}

function trafficOf(socket: Socket): number {
  // bytesWritten counts what was handed to the socket, so a client that stopped reading
  // leaves it unchanged once the answer is queued.
  return socket.bytesRead + (socket.bytesWritten ?? 0);
}

/** Node checks header/request deadlines on an interval (30 s by default): check often enough. */
function checkingIntervalMs(settings: LifecycleSettings): number {
  return Math.max(100, Math.min(1_000, Math.floor(settings.headersTimeoutMs / 4)));
}

export function createServerLifecycle(input: { readonly settings: LifecycleSettings; readonly logger: Logger }): ServerLifecycle {
  const { settings, logger } = input;
  let phase: LifecyclePhase = 'serving';
  let stopping: Promise<void> | undefined;
  let endDelay: (() => void) | undefined;
  const sockets = new Map<Socket, Activity>();
  /** Connections admitted beyond maxConnections (probes only, one request each) and their cut timer. */
  const probeOnly = new WeakMap<Socket, NodeJS.Timeout>();
  const pending = new Set<ServerResponse>();
  // One listener function for every response ('close' comes once per response): no closure or
  // once-wrapper allocated per request, which a probe flood pays for.
  function untrack(this: ServerResponse): void {
    pending.delete(this);
  }
  let refusal: RenderRefusal = plainRefusal;

  const server = createServer({
    headersTimeout: settings.headersTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(settings),
  });
  // idle_timeout by a sweep (idleSweepMs); 0 keeps connections without traffic open.
  server.timeout = 0;
  let idleSweep: NodeJS.Timeout | undefined;
  let front: ConnectionFront | undefined;
  function sweepIdle(): void {
    const now = performance.now();
    for (const [socket, activity] of sockets) {
      const traffic = trafficOf(socket);
      if (traffic !== activity.traffic) {
        activity.traffic = traffic;
        activity.since = now;
        continue;
      }
      const idleFor = now - activity.since;
      if (settings.idleTimeoutMs > 0 && idleFor >= settings.idleTimeoutMs) {
        socket.destroy();
        continue;
      }
      const answered = front?.answeredOn(socket);
      if (answered === undefined) continue;
      if (answered === 0 && settings.headersTimeoutMs > 0 && idleFor >= settings.headersTimeoutMs) {
        // Node answers a connection that sent no request in time with a 408: so does the front.
        front?.release(socket);
        refuse(Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
      } else if (answered > 0 && settings.keepAliveTimeoutMs > 0 && idleFor >= settings.keepAliveTimeoutMs) {
        socket.destroy();
      }
    }
  }
  server.once('close', () => clearInterval(idleSweep));
  // The hard ceiling: Node drops connections beyond it before they reach us.
  server.maxConnections = settings.maxConnections + settings.probeConnections;

  // Node's own connection listener (its parser) runs after the front's choice: for the
  // connections beyond the cap, while closing, or once the front leaves a connection to it.
  const parseWithNode = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const handOver = (socket: Socket): void => {
    for (const listener of parseWithNode) listener.call(server, socket);
  };
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { traffic: trafficOf(socket), since: performance.now() });
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size > settings.maxConnections) {
      const cut = setTimeout(() => socket.destroy(), PROBE_CONNECTION_HEADERS_MS);
      cut.unref();
      probeOnly.set(socket, cut);
      socket.once('close', () => clearTimeout(cut));
    }
    if (front && phase !== 'closing' && !probeOnly.has(socket)) front.adopt(socket);
    else handOver(socket);
  });
  server.on('drop', () => logger.warn({ open: sockets.size }, 'connection refused: at the connection ceiling'));
  // Node answers these with a bare status line; Vigil answers with a body in the API's shape.
  function refuse(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, message } = clientErrorStatus(error.code);
    // A body that came too slowly belongs to a request whose head Node has parsed.
    const { method, url } = inFlight?.req ? { method: inFlight.req.method, url: inFlight.req.url } : requestLine(error.rawPacket);
    const { contentType, body } = refusal(method, url, status, message);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  server.on('clientError', refuse);

  function track(req: IncomingMessage, res: ServerResponse): boolean {
    pending.add(res);
    res.on('close', untrack);
    if (phase === 'closing') res.setHeader('Connection', 'close');
    const cut = probeOnly.get(req.socket);
    if (cut === undefined) return true;
    clearTimeout(cut);
    // Headroom beyond the cap keeps the kubelet's probes answered while slow clients hold the rest.
    res.setHeader('Connection', 'close');
    if (PROBE_PATHS.has(pathOf(req))) return true;
    const { contentType, body } = refusal(req.method, req.url, 503, SHED_MESSAGE);
    res.writeHead(503, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Retry-After': '1', 'Cache-Control': 'no-store' });
    res.end(body);
    return false;
  }

  const listen = (handler: RequestListener, options: ListenOptions = {}): Promise<string> => {
    refusal = options.refusal ?? plainRefusal;
    const { answerAtOnce, answerHead } = options;
    if (answerHead) {
      front = createConnectionFront({ answer: answerHead, answering: () => phase !== 'closing', keepAliveTimeoutMs: settings.keepAliveTimeoutMs, handOver });
    }
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (answerAtOnce && phase !== 'closing' && !probeOnly.has(req.socket) && answerAtOnce(req, res)) return;
      if (track(req, res)) handler(req, res);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => {
        server.off('error', reject);
        if (settings.idleTimeoutMs > 0 || front) {
          idleSweep = setInterval(sweepIdle, idleSweepMs(settings, front !== undefined));
          idleSweep.unref();
        }
        resolve(urlOf(server));
      });
    });
  };

  const closeListener = (): Promise<void> => {
    phase = 'closing';
    // Responses not yet started tell their clients not to reuse the connection.
    for (const res of pending) if (!res.headersSent) res.setHeader('Connection', 'close');
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    // net's close, not http's: http's also destroys every idle keep-alive socket at once, and
    // a client whose next request is already on the wire sees a reset. Idle sockets are
    // left to the keep-alive timeout their responses announced (or end after one more
    // request, answered with `Connection: close`); the grace period bounds it all.
    NetServer.prototype.close.call(server);
    return closed;
  };

  const forceClose = (): void => {
    endDelay?.();
    server.closeAllConnections();
    for (const socket of sockets.keys()) socket.destroy();
  };

  const shutdown = (reason: string, options: ShutdownOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      phase = 'draining';
      const delayMs = options.skipDelay ? 0 : settings.shutdownDelayMs;
      logger.info(
        { reason, delayMs, graceMs: settings.shutdownGraceMs },
        'shutting down: /readyz answers 503, then the listener closes and in-flight requests finish',
      );
      if (delayMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          endDelay = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const closed = closeListener();
      logger.info({ open: sockets.size, inFlight: pending.size }, 'listener closed; finishing in-flight requests');
      const force = setTimeout(() => {
        logger.warn({ open: sockets.size }, 'grace period over; closing the remaining connections');
        forceClose();
      }, settings.shutdownGraceMs);
      await closed;
      clearTimeout(force);
      phase = 'closed';
    })();
    return stopping;
  };

  return {
    server,
    phase: () => phase,
    shuttingDown: () => phase !== 'serving',
    listen,
    shutdown,
    forceClose,
  };
}
