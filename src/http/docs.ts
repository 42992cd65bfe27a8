// The spec for people and tools: /openapi.json, /openapi.yaml and Swagger UI at /docs.
import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { LoadedSpec } from './spec.ts';

/** Where Swagger UI (served under /docs/) fetches the spec from, relative to its page. */
export const DOCS_SPEC_URL = '../openapi.json';

export function createDocsRouter(spec: LoadedSpec): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(spec.json);
  });
  router.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(spec.yaml);
  });
  const options = { customSiteTitle: 'Vigil API', swaggerOptions: { url: DOCS_SPEC_URL } };
  // Swagger UI's assets are relative to the page, so the page must end with a slash.
  router.get('/docs', (req, res, next) => (req.path === '/docs' ? res.redirect(301, '/docs/') : next()));
  // serveFiles (not serve) keeps this app's init script its own, even with several apps in one process.
  router.use('/docs', swaggerUi.serveFiles(undefined, options), swaggerUi.setup(undefined, options));
  return router;
}
