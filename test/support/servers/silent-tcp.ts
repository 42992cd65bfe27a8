// A TCP listener that accepts connections and never answers: the dependency that hangs.
import net from 'node:net';
import { listenOnLoopback } from './listen.ts';

export interface SilentTcpServer {
  readonly port: number;
  readonly url: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections still open (a probe that timed out should not leave its socket here). */
  open(): number;
  close(): Promise<void>;
}

export async function startSilentTcpServer(): Promise<SilentTcpServer> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    // Read and discard, never write.
    socket.resume();
  });
  const listening = await listenOnLoopback(server);
  return {
    port: listening.port,
    url: `http://127.0.0.1:${listening.port}/`,
    accepted: () => accepted,
    open: () => sockets.size,
    close: () => listening.close(),
  };
}
