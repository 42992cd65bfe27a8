// A TCP proxy on loopback in front of a shared service, so a test can break the connection
// (drop sockets, refuse new ones) without touching the service itself.
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Client connections accepted so far. */
  accepted(): number;
  /** Client connections currently open. */
  open(): number;
  /** Destroys every open connection (both sides), as a network cut or a server restart would. */
  dropAll(): void;
  /** Stops listening and drops every connection: new connections are refused. */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  /**
   * Stops forwarding bytes, both ways, on every connection (new ones too) while keeping them all
   * open: a server that hangs, for one client only. `flow()` forwards again, what waited first.
   */
  stall(): void;
  flow(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
  let accepted = 0;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let stalled = false;
  const connectPair = (pair: { client: net.Socket; upstream: net.Socket }): void => {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (!stalled) connectPair(pair);
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as net.AddressInfo;

  const dropAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      dropAll();
    });

  return {
    port,
    accepted: () => accepted,
    open: () => pairs.size,
    dropAll,
    pause,
    resume: () => listen(port),
    stall() {
      stalled = true;
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    flow() {
      stalled = false;
      for (const pair of pairs) connectPair(pair);
    },
    close: pause,
  };
}
