// Just enough Qdrant: GET / (version), /readyz, /collections, with an optional `api-key`.
import http from 'node:http';
import { listenOnLoopback } from './listen.ts';

export interface QdrantServerInput {
  readonly apiKey?: string;
  readonly collections?: readonly string[];
  readonly version?: string;
}

export interface TestQdrantServer {
  readonly url: string;
  setReady(ready: boolean): void;
  setCollections(names: readonly string[]): void;
  /** Paths requested so far, in order. */
  readonly paths: readonly string[];
  close(): Promise<void>;
}

export async function startQdrantServer(input: QdrantServerInput = {}): Promise<TestQdrantServer> {
  let ready = true;
  let collections = [...(input.collections ?? [])];
  const paths: string[] = [];
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '').split('?')[0] ?? '';
    paths.push(path);
    // Like Qdrant, the health endpoints answer without the API key.
    if (path === '/readyz') {
      if (ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('all shards are ready');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end('some shards are not ready');
      return;
    }
    if (input.apiKey && req.headers['api-key'] !== input.apiKey) {
      json(res, 401, { status: { error: 'Must provide an API key or an Authorization bearer token' }, time: 0 });
      return;
    }
    if (path === '/') {
      json(res, 200, { title: 'qdrant - vector search engine', version: input.version ?? '1.13.2', commit: 'test' });
    } else if (path === '/collections') {
      json(res, 200, { result: { collections: collections.map((name) => ({ name })) }, status: 'ok', time: 0.00001 });
    } else {
      json(res, 404, { status: { error: `Not found: ${path}` }, time: 0 });
    }
  });
  const listening = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${listening.port}`,
    setReady(next) {
      ready = next;
    },
    setCollections(names) {
      collections = [...names];
    },
    paths,
    close: () => listening.close(),
  };
}
