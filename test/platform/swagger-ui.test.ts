// Swagger UI in a real browser: Debian's headless Chromium (scripts/ensure-services.sh) opens
// /docs of a Vigil on a random port, runs "Try it out" on GET /health and sees 200. It works
// only because the spec's server is relative (`/`): a pinned host and port would make the
// browser call somewhere else ("Failed to fetch").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { launchChromium } from '../support/chromium.ts';

let vigil: TestApp;
let browser: Browser;

beforeAll(async () => {
  vigil = await startTestApp();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await vigil?.close();
});

describe('Swagger UI at /docs', () => {
  it('runs "Try it out" on GET /health against the Vigil that serves it and shows 200', async () => {
    const page = await browser.newPage();
    const seen: string[] = [];
    page.on('request', (request) => seen.push(request.url()));
    await page.goto(`${vigil.baseUrl}/docs`, { timeout: 60_000 });

    const operation = page.locator('#operations-health-getHealth');
    await operation.locator('.opblock-summary').first().click({ timeout: 60_000 });
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();

    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(async () => (await status.textContent({ timeout: 30_000 }))?.trim(), { timeout: 30_000 }).toBe('200');
    await expect.poll(async () => operation.locator('.live-responses-table .microlight').first().textContent()).toContain('"status"');
    // The browser called this Vigil, where the page came from.
    expect(seen).toContain(`${vigil.baseUrl}/health`);
    await page.close();
  }, 180_000);
});
