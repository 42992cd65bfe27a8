// /docs serves Swagger UI that loads the bundled spec, fetched over HTTP like a browser would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSpec } from '../../src/http/spec.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createFixtureIdentity } from './fixtures/fixture-app.ts';
import { stubFactory } from './fixtures/stubs.ts';

let app: TestApp;

beforeAll(async () => {
  const { operations } = await loadSpec();
  app = await startTestApp({ factories: [stubFactory(operations)], identity: createFixtureIdentity() });
});

afterAll(async () => {
  await app?.close();
});

async function get(path: string | URL): Promise<Response> {
  const response = await fetch(new URL(path, app.baseUrl));
  expect(response.status, `GET ${path}`).toBe(200);
  return response;
}

describe('the spec and Swagger UI over HTTP', () => {
  it('serves the bundled spec at /openapi.json: one document, no external $ref', async () => {
    const served = (await (await get('/openapi.json')).json()) as Record<string, unknown>;
    const { document } = await loadSpec();
    expect(served).toEqual(document);
    expect(served.openapi).toMatch(/^3\.1\./);
    expect(JSON.stringify(served)).not.toMatch(/"\$ref":"\.\.?\//);
  });

  it('serves the same document at /openapi.yaml', async () => {
    const response = await get('/openapi.yaml');
    expect(response.headers.get('content-type')).toMatch(/yaml/);
    const { document } = await loadSpec();
    expect(parse(await response.text())).toEqual(document);
  });

  it('redirects /docs to /docs/ so the page can load its assets', async () => {
    const response = await fetch(`${app.baseUrl}/docs`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/docs/');
  });

  it('serves Swagger UI at /docs/ whose init script loads /openapi.json', async () => {
    const page = new URL('/docs/', app.baseUrl);
    const html = await (await get(page)).text();
    expect(html).toContain('swagger-ui');
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1] as string);
    const init = scripts.find((src) => src.includes('swagger-ui-init.js'));
    expect(init, `scripts on the page: ${scripts.join(', ')}`).toBeDefined();
    for (const src of scripts) await get(new URL(src, page));

    const initScript = await (await get(new URL(init as string, page))).text();
    // swagger-ui-express copies customOptions over its defaults, so customOptions.url wins.
    expect(initScript).toContain('customOptions');
    const url = /"url":\s*"([^"]+)"/.exec(initScript)?.[1];
    expect(url, 'the init script names the spec URL').toBeDefined();
    const specUrl = new URL(url as string, page);
    expect(specUrl.pathname).toBe('/openapi.json');
    expect(await (await get(specUrl)).json()).toEqual((await loadSpec()).document);
  });
});
