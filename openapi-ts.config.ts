import { defineConfig } from '@hey-api/openapi-ts';

// `npm run generate` writes the typed client twice from the one spec, both committed and
// drift-checked in CI: generated/ for this repository's tests, and the sources of the
// installable SDK (packages/client, `vigil-client`), which has no default base URL: the
// caller gives it (createVigilClient).
export default defineConfig([
  {
    input: './openapi/openapi.yaml',
    output: { path: './generated' },
    plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
  },
  {
    input: './openapi/openapi.yaml',
    output: { path: './packages/client/src/generated' },
    plugins: ['@hey-api/typescript', '@hey-api/sdk', { name: '@hey-api/client-fetch', baseUrl: false }],
  },
]);
