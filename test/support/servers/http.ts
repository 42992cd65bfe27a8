// A generic HTTP(S) server whose answer the test controls: status, body, content type, delay.
import http from 'node:http';
import https from 'node:https';
import { listenOnLoopback } from './listen.ts';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  /** Milliseconds to wait before answering. */
  readonly delayMs: number;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface TestHttpServer {
  readonly url: string;
  /** Changes what the next requests get. */
  answer(change: Partial<HttpAnswer>): void;
  readonly requests: readonly SeenRequest[];
  close(): Promise<void>;
}

export interface TestHttpServerInput {
  readonly answer?: Partial<HttpAnswer>;
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export async function startHttpServer(input: TestHttpServerInput = {}): Promise<TestHttpServer> {
  let current: HttpAnswer = { status: 200, body: 'ok', contentType: 'text/plain', delayMs: 0, ...input.answer };
  const requests: SeenRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const { status, body, contentType, delayMs } = current;
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.writeHead(status, { 'content-type': contentType }).end(body);
      }, delayMs);
      timers.add(timer);
    });
  };
  const server = input.tls ? https.createServer({ key: input.tls.key, cert: input.tls.cert }, handler) : http.createServer(handler);
  const listening = await listenOnLoopback(server);
  return {
    url: `${input.tls ? 'https' : 'http'}://127.0.0.1:${listening.port}/`,
    answer(change) {
      current = { ...current, ...change };
    },
    requests,
    close() {
      for (const timer of timers) clearTimeout(timer);
      return listening.close();
    },
  };
}
