import { defineConfig } from '@hey-api/openapi-ts';

// `npm run generate` writes the typed client that the contract tests call; CI fails on drift.
export default defineConfig({
  input: './openapi/openapi.yaml',
  output: { path: './generated' },
  plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
});
