// The healthy dependency of the scale scenario: answers every GET at once, and records when
// each source's probe arrived (the path names the source) so schedule lag is measured here,
// on the dependency, not by Vigil about itself.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { benchOptions, failBench, serveBench } from './ipc.ts';

interface Options {
  /** Only arrivals after this many ms from start count (first runs are spread, not late). */
  readonly ignoreFirstMs: number;
}

const { ignoreFirstMs } = benchOptions<Options>();
const started = performance.now();
const lastArrival = new Map<string, number>();
const gapsMs: number[] = [];
let arrivals = 0;

const server = createServer((req, res) => {
  arrivals += 1;
  const now = performance.now();
  const source = req.url ?? '';
  const previous = lastArrival.get(source);
  if (previous !== undefined && now - started > ignoreFirstMs) gapsMs.push(now - previous);
  lastArrival.set(source, now);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
  res.end('ok');
});
server.once('error', failBench);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveBench(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(() => resolve())));
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'gaps') process.send?.({ type: 'gaps', arrivals, sources: lastArrival.size, gapsMs });
});
