// Baseline 2: the mandated stack alone. Express 5 + express-openapi-validator (requests and
// responses, Vigil's spec and validator options) answering GET /health with Vigil's body.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as eov from 'express-openapi-validator';
import { loadSpec } from '../../../src/http/spec.ts';
import { benchOptions, failBench, serveBench } from './ipc.ts';

try {
  const { body } = benchOptions<{ body: string }>();
  const parsed: unknown = JSON.parse(body);
  const spec = await loadSpec();
  const app = express();
  app.use(
    eov.middleware({
      apiSpec: structuredClone(spec.document) as unknown as Parameters<typeof eov.middleware>[0]['apiSpec'],
      $refParser: { mode: 'dereference' },
      validateRequests: { allowUnknownQueryParameters: false, allErrors: true },
      validateResponses: { allErrors: true },
      validateSecurity: false,
    }) as unknown as express.RequestHandler[],
  );
  app.get('/health', (_req, res) => {
    res.json(parsed);
  });
  const server = createServer(app);
  server.keepAliveTimeout = 60_000;
  server.once('error', failBench);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    serveBench(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(() => resolve())));
  });
} catch (error) {
  failBench(error);
}
