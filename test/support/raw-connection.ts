// A raw TCP connection to a server under test, for what an HTTP client hides: what the server
// sent, byte for byte (as latin1 text: its length is the byte count), and when it closed.
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with ms from connect to close. */
  readonly closed: Promise<number>;
}

/** Connects to 127.0.0.1:`port`; the socket is added to `opened` for the test's clean-up. */
export async function openRawConnection(port: number, opened: Socket[]): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  opened.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const at = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - at)));
  return { socket, received: () => received, closed };
}
