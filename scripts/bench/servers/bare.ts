// Baseline 1: bare node:http answering GET /health with a fixed body (Vigil's own /health body).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { benchOptions, failBench, serveBench } from './ipc.ts';

const { body } = benchOptions<{ body: string }>();
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.once('error', failBench);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveBench(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(() => resolve())));
});
