// The history family end to end: a real http source flips between up and down, and the
// history operation, the badges and the status page follow, through the generated client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sdk from '../../generated/sdk.gen.ts';
import { createApiKey } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';

let target: TestHttpServer;
let app: TestApp;
let viewerKey: string;

async function runUntil(app: TestApp, name: string, status: string): Promise<void> {
  for (let i = 0; i < 20; i += 1) {
    const result = await app.deps.engine.runNow(name);
    if (result.status === status) return;
  }
  throw new Error(`source ${name} never became ${status}`);
}

beforeAll(async () => {
  target = await startHttpServer();
  app = await startTestApp({
    sources: [
      { name: 'web', kind: 'http', url: target.url, intervalMs: 60_000 },
      { name: 'quiet', kind: 'http', url: target.url, intervalMs: 60_000 },
    ],
    config: {
      statusPage: { title: 'Acme status', groups: [{ name: 'Front ends', sources: [{ source: 'web', displayName: 'Web shop' }] }] },
    },
  });
  viewerKey = (await createApiKey(app.deps.store, { name: 'history-reader', scopes: ['history:read'] })).key;
  // Up, then down (a 503), then up again: one incident.
  target.answer({ status: 503 });
  await runUntil(app, 'web', 'error');
  await new Promise((r) => setTimeout(r, 20));
  target.answer({ status: 200 });
  await runUntil(app, 'web', 'ok');
  await app.deps.history.flush();
});

afterAll(async () => {
  await app?.close();
  await target?.close();
});

describe('GET /v1/sources/{source}/history', () => {
  it('answers uptime, latency, days and the incident from the store', async () => {
    const { response, data } = await sdk.getSourceHistory({
      client: app.client,
      path: { source: 'web' },
      headers: { 'x-api-key': viewerKey },
    });
    expect(response.status).toBe(200);
    expect(data?.status).toBe('ok');
    expect(data?.kind).toBe('http');
    const uptime = data?.uptime['1h'];
    expect(uptime).not.toBeNull();
    expect(uptime).toBeGreaterThan(0);
    expect(uptime).toBeLessThan(1);
    expect(data?.latency['1h'].runs).toBeGreaterThanOrEqual(3);
    expect(data?.days).toHaveLength(90);
    expect(data?.days.at(-1)?.uptime).toBeCloseTo(uptime ?? 0, 3);
    expect(data?.incidents).toHaveLength(1);
    expect(data?.incidents[0]?.status).toBe('error');
    expect(data?.incidents[0]?.ended_at).not.toBeNull();
    expect(data?.latency_series.length).toBeGreaterThanOrEqual(1);
  });

  it('404 in the family shape for a source that is not configured; 401 without a credential', async () => {
    const missing = await sdk.getSourceHistory({ client: app.client, path: { source: 'nope' }, headers: { 'x-api-key': viewerKey } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toEqual({ detail: expect.any(String) });
    const anonymous = await sdk.getSourceHistory({ client: app.client, path: { source: 'web' } });
    expect(anonymous.response.status).toBe(401);
  });
});

describe('badges', () => {
  it('status, uptime and response time as SVG, cacheable for a short time', async () => {
    const status = await fetch(`${app.baseUrl}/badges/web/status.svg`);
    expect(status.status).toBe(200);
    expect(status.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(status.headers.get('cache-control')).toBe('public, max-age=30');
    const svg = await status.text();
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('web: up');

    const uptime = await (await fetch(`${app.baseUrl}/badges/web/uptime.svg?window=1h`)).text();
    expect(uptime).toMatch(/uptime 1h: \d{1,2}\.\d{2}%/);
    const latency = await (await fetch(`${app.baseUrl}/badges/web/response-time.svg`)).text();
    expect(latency).toMatch(/response time 24h: \d+ms/);
  });

  it('refuses a window the spec does not list', async () => {
    const res = await fetch(`${app.baseUrl}/badges/web/uptime.svg?window=2y`);
    expect(res.status).toBe(400);
  });
});

describe('GET /status', () => {
  it('shows the configured groups with display names, states, 90 day bars and the incident; no reason', async () => {
    const res = await fetch(`${app.baseUrl}/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>Acme status</title>');
    expect(html).toContain('Front ends');
    expect(html).toContain('Web shop');
    expect(html).toContain('data-source="web" data-state="up"');
    expect(html).not.toContain('data-source="quiet"');
    expect(html.match(/class="day /g)).toHaveLength(90);
    expect(html).toMatch(/class="incident" data-source="web"/);
    // The failure's reason ("http: GET ... answered 503 (expected ...)") stays out; a bare
    // number such as a latency of 1503 ms or an uptime of 99.503 % may well be on the page.
    expect(html).not.toMatch(/answered 503|expected 2\d\d|status code/i);
    expect(html).not.toContain(String(app.deps.engine.source('web')?.latest?.error ?? 'no reason recorded'));
    expect(html).toContain('http-equiv="refresh"');
  });
});

describe('status_page.public: false', () => {
  let closed: TestApp;
  beforeAll(async () => {
    closed = await startTestApp({
      sources: [{ name: 'web', kind: 'http', url: target.url, intervalMs: 60_000 }],
      config: { statusPage: { public: false } },
    });
  });
  afterAll(() => closed?.close());

  it('the page and badges need a credential', async () => {
    expect((await fetch(`${closed.baseUrl}/status`)).status).toBe(401);
    expect((await fetch(`${closed.baseUrl}/badges/web/status.svg`)).status).toBe(401);
    const key = (await createApiKey(closed.deps.store, { name: 'page-reader', scopes: ['history:read'] })).key;
    const res = await fetch(`${closed.baseUrl}/status`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });
});
