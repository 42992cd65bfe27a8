// The status page in a real browser: headless Chromium opens /status on a running Vigil, sees
// every source, the test stops one of its own dependencies (a private redis-server), and the
// page turns that source red and shows an ongoing incident by itself (its own refresh), within
// an interval plus the refresh. Screenshots go to test-output/ (kept by CI as artifacts).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { launchChromium } from '../support/chromium.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';

const OUTPUT_DIR = path.resolve('test-output');
const INTERVAL_MS = 1_000;
// Generous: a probe of a healthy local redis must not time out on a busy machine.
const TIMEOUT_MS = 3_000;
const REFRESH_MS = 1_000;

let redis: PrivateProcess;
let web: TestHttpServer;
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  redis = await startRedis();
  web = await startHttpServer();
  app = await startTestApp({
    sources: [
      { name: 'cache', kind: 'redis', url: `redis://127.0.0.1:${redis.port}`, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS },
      { name: 'web', kind: 'http', url: web.url, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS },
    ],
    config: {
      history: { flushIntervalMs: 500 },
      statusPage: {
        title: 'Vigil test status',
        refreshMs: REFRESH_MS,
        groups: [{ name: 'Platform', sources: [{ source: 'cache', displayName: 'Session cache' }, { source: 'web', displayName: 'Web front end' }] }],
      },
    },
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await web?.close();
  await redis?.stop();
});

it('shows every source, then a stopped dependency turns red with an incident, without a reload', async () => {
  const page = await browser.newPage({ colorScheme: 'light', viewport: { width: 900, height: 700 } });
  const response = await page.goto(`${app.baseUrl}/status`);
  expect(response?.status()).toBe(200);
  await expect.poll(() => page.locator('li.source').count()).toBe(2);
  expect(await page.locator('li.source[data-source="cache"]').getAttribute('data-state')).toBe('up');
  expect(await page.locator('li.source[data-source="web"]').getAttribute('data-state')).toBe('up');
  expect(await page.locator('li.source .name').allTextContents()).toEqual(['Session cache', 'Web front end']);
  expect(await page.locator('.banner').textContent()).toContain('All systems operational');
  await page.screenshot({ path: path.join(OUTPUT_DIR, 'status-page-up.png'), fullPage: true });

  await redis.kill();
  const stoppedAt = Date.now();
  // Detection takes at most one interval plus the probe's timeout; the page refreshes itself.
  const budgetMs = INTERVAL_MS + TIMEOUT_MS + REFRESH_MS + 2_000;
  await page.waitForSelector('li.source[data-source="cache"][data-state="down"]', { timeout: budgetMs });
  await page.waitForSelector('li.incident.ongoing[data-source="cache"]', { timeout: REFRESH_MS + 1_000 });
  const tookMs = Date.now() - stoppedAt;
  expect(tookMs).toBeLessThan(budgetMs);
  expect(await page.locator('li.source[data-source="web"]').getAttribute('data-state')).toBe('up');
  expect(await page.locator('.banner').textContent()).toContain('Some systems are down');
  // Reasons are withheld on the public page.
  expect(await page.content()).not.toMatch(/ECONNREFUSED|connect failed|redis:/i);
  await page.screenshot({ path: path.join(OUTPUT_DIR, 'status-page-down.png'), fullPage: true });

  const dark = await browser.newPage({ colorScheme: 'dark', viewport: { width: 900, height: 700 } });
  await dark.goto(`${app.baseUrl}/status`);
  const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe('rgb(13, 17, 23)');
  await dark.screenshot({ path: path.join(OUTPUT_DIR, 'status-page-dark.png'), fullPage: true });
}, 60_000);

it('is readable without JavaScript and reloads itself', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // The page reloads itself every second without JavaScript: read the document as served.
  const html = (await (await page.goto(`${app.baseUrl}/status`))?.text()) ?? '';
  expect(html.match(/<li class="source"/g)).toHaveLength(2);
  expect(html).toMatch(new RegExp(`<noscript><meta http-equiv="refresh" content="${REFRESH_MS / 1000}"></noscript>`));
  await page.waitForSelector('li.source');
  await context.close();
});
