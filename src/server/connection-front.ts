// The connection front: a connection's requests are read here before Node's HTTP parser
// sees them. A head that parseRequestHead reads and the fast path answers (the public
// probes) is answered on the socket at once, its bytes written as Node's ServerResponse
// would write them, without the IncomingMessage, ServerResponse, parser callbacks and
// per-response timers that cost more than half of a probe answer's CPU under a flood (the
// same answers on a bare socket went from 0.75x to about 1.5x a bare node:http server's
// requests per CPU second; issue 10). The first request the front does not answer, and
// every byte after it, goes to Node's HTTP server with nothing consumed: from then on the
// connection is Node's, its parser, limits and timeouts, and the full stack's.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { parseRequestHead, type FrontAnswer, type RequestHead } from '../http/request-head.ts';

export interface ConnectionFrontInput {
  /** The fast path's answer to a head, or undefined (Node's server takes the connection). */
  readonly answer: (head: RequestHead) => FrontAnswer | undefined;
  /** False while the listener closes: Node's server answers then, with `Connection: close`. */
  readonly answering: () => boolean;
  /** As Node announces it in `Keep-Alive: timeout=`; 0 announces none. */
  readonly keepAliveTimeoutMs: number;
  /** Gives the socket to Node's HTTP server (its connection listener). */
  readonly handOver: (socket: Socket) => void;
}

export interface ConnectionFront {
  /** Reads the connection's requests from now on. */
  adopt(socket: Socket): void;
  /** Requests answered on a connection the front still reads; undefined once it is Node's. */
  answeredOn(socket: Socket): number | undefined;
  /** Stops reading a connection that is being closed (it is not handed to Node). */
  release(socket: Socket): void;
}

interface Held {
  answered: number;
  readonly onData: (chunk: Buffer) => void;
}

/** Node's http server allows half-open connections and ends its side itself once the client has. */
function onEnd(this: Socket): void {
  this.end();
}

function onError(this: Socket): void {
  this.destroy();
}

export function createConnectionFront(input: ConnectionFrontInput): ConnectionFront {
  const held = new WeakMap<Socket, Held>();
  // As Node's ServerResponse ends a kept-alive answer's head.
  const connection =
    input.keepAliveTimeoutMs > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(input.keepAliveTimeoutMs / 1_000)}\r\n\r\n` : 'Connection: keep-alive\r\n\r\n';
  const statusLines = new Map<number, string>();
  const statusLine = (status: number): string => {
    let line = statusLines.get(status);
    if (line === undefined) statusLines.set(status, (line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`));
    return line;
  };
  // The Date header, made once a second (as Node's own cache does).
  let date = '';
  let dateUntil = 0;
  const dateLine = (): string => {
    const now = Date.now();
    if (now >= dateUntil) {
      date = `Date: ${new Date(now).toUTCString()}\r\n`;
      dateUntil = now - (now % 1_000) + 1_000;
    }
    return date;
  };

  /** Stops reading the connection; its error listener stays until Node's server has its own. */
  function detach(socket: Socket, state: Held): void {
    held.delete(socket);
    socket.removeListener('data', state.onData);
    socket.removeListener('end', onEnd);
  }

  function handOver(socket: Socket, state: Held, chunk: Buffer): void {
    detach(socket, state);
    socket.removeListener('error', onError);
    input.handOver(socket);
    // Node's server reads the socket in C++ from now on; what the front has read goes to its
    // parser first, before this callback returns and so before any later byte.
    socket.emit('data', chunk);
  }

  return {
    adopt(socket) {
      const state: Held = {
        answered: 0,
        onData: (chunk) => {
          // An answer not yet taken by the kernel: the client is not reading. Node's server
          // holds back further requests until it does; the front does not buffer for it.
          if (!input.answering() || socket.writableLength > 0) return handOver(socket, state, chunk);
          const head = parseRequestHead(chunk.toString('latin1'));
          const answer = head === undefined ? undefined : input.answer(head);
          if (answer === undefined) return handOver(socket, state, chunk);
          socket.write(`${statusLine(answer.status)}${answer.headers}${dateLine()}${connection}${answer.body}`);
          state.answered += 1;
        },
      };
      held.set(socket, state);
      socket.on('data', state.onData);
      socket.on('end', onEnd);
      socket.on('error', onError);
    },
    answeredOn: (socket) => held.get(socket)?.answered,
    release(socket) {
      const state = held.get(socket);
      // The error listener stays: a reset while the refusal is written must not throw.
      if (state) detach(socket, state);
    },
  };
}
