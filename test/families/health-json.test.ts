// `Accept: application/health+json` on /health, /v1/health and /health/detailed: the IETF
// draft's shape, validated against a JSON Schema written from the draft (not from our spec),
// with the family's HTTP status, and reasons only for an authorized caller.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateDraft = ajv.compile(JSON.parse(readFileSync(new URL('../support/health-json.schema.json', import.meta.url), 'utf8')));

let up: TestHttpServer;
let down: TestHttpServer;
let app: TestApp;
let key: string;
const HJ = 'application/health+json';

beforeAll(async () => {
  up = await startHttpServer();
  down = await startHttpServer({ answer: { status: 500, body: 'boom' } });
  app = await startTestApp({
    sources: [
      { name: 'db', kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', intervalMs: 60_000 },
      { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', intervalMs: 60_000 },
      { name: 'web', kind: 'http', url: up.url, intervalMs: 60_000 },
      { name: 'broken', kind: 'http', url: down.url, intervalMs: 60_000, critical: false },
    ],
    config: { families: { health: { services: ['web', 'broken', 'db'] }, admin: { database: 'db', cache: 'cache' } } },
  });
  key = (await createApiKey(app.deps.store, { name: 'hj', scopes: ['health:read'] })).key;
});

afterAll(async () => {
  await app?.close();
  await up?.close();
  await down?.close();
});

async function get(path: string, headers: Record<string, string>) {
  const res = await fetch(`${app.baseUrl}${path}`, { headers });
  const text = await res.text();
  return { res, text, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('application/health+json', () => {
  it('/health: warn with one failing service, every check keyed component:measurement, no output', async () => {
    const { res, body } = await get('/health', { accept: HJ });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/health\+json/);
    expect(validateDraft(body), JSON.stringify(validateDraft.errors)).toBe(true);
    expect(body).toMatchObject({ status: 'warn', serviceId: 'vigil', releaseId: expect.any(String), version: expect.any(String) });
    const checks = body?.checks as Record<string, Record<string, unknown>[]>;
    expect(Object.keys(checks).sort()).toEqual(['broken:responseTime', 'db:responseTime', 'web:responseTime']);
    expect(checks['web:responseTime']?.[0]).toMatchObject({ componentId: 'web', componentType: 'system', status: 'pass', observedUnit: 'ms' });
    expect(checks['db:responseTime']?.[0]).toMatchObject({ componentType: 'datastore', status: 'pass' });
    expect(checks['broken:responseTime']?.[0]).toMatchObject({ status: 'fail' });
    expect(typeof checks['web:responseTime']?.[0]?.observedValue).toBe('number');
    expect(JSON.stringify(body)).not.toContain('output');
  });

  it('/v1/health: pass with database and cache up', async () => {
    const { res, body } = await get('/v1/health', { accept: `${HJ}, application/json;q=0.5` });
    expect(res.status).toBe(200);
    expect(validateDraft(body)).toBe(true);
    expect(body?.status).toBe('pass');
    expect(Object.keys(body?.checks as object).sort()).toEqual(['cache:responseTime', 'db:responseTime']);
  });

  it('/health/detailed gives an authorized caller the reason of a failing check', async () => {
    const { res, body } = await get('/health/detailed', { accept: HJ, 'x-api-key': key });
    expect(res.status).toBe(200);
    expect(validateDraft(body)).toBe(true);
    const broken = (body?.checks as Record<string, Record<string, unknown>[]>)['broken:responseTime']?.[0];
    expect(broken?.output).toMatch(/500/);
  });

  it('plain JSON stays the default: no Accept, */*, or JSON preferred', async () => {
    for (const accept of [undefined, '*/*', `application/json, ${HJ};q=0.5`]) {
      const { res, body } = await get('/health', accept ? { accept } : {});
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(body?.status).toBe('degraded');
    }
  });
});
