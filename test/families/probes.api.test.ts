// /livez, /readyz and /metrics end to end through the generated client against the real app
// and engine, with real dependencies on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLivez, getMetrics, getReadyz } from '../../generated/sdk.gen.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type PrivateProcess } from '../support/processes.ts';
import { ON_DEMAND, runUntil, runUntilOk } from '../support/source-states.ts';

const PASSWORD = 'probe-secret-pw-93ab1';

describe('probes', () => {
  let app: TestApp;
  let own: PrivateProcess;
  let shuttingDown = false;

  beforeAll(async () => {
    own = await startRedis();
    const closedPort = await freePort();
    app = await startTestApp({
      sources: [
        { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', ...ON_DEMAND },
        { name: 'core', kind: 'redis', url: `redis://127.0.0.1:${own.port}`, ...ON_DEMAND },
        { name: 'side', kind: 'redis', url: `redis://:${PASSWORD}@127.0.0.1:${closedPort}`, critical: false, ...ON_DEMAND },
      ],
      shuttingDown: () => shuttingDown,
    });
    await runUntilOk(app.deps.engine, ['cache', 'core']);
  });

  afterAll(async () => {
    await app?.close();
    await own?.stop();
  });

  describe('GET /livez', () => {
    it('answers ok, and lists its one check with ?verbose', async () => {
      const terse = await getLivez({ client: app.client });
      expect(terse.response.status).toBe(200);
      expect(terse.data).toBe('ok');
      const verbose = await getLivez({ client: app.client, query: { verbose: 'true' } });
      expect(verbose.data).toBe('[+]ping ok\nlivez check passed\n');
      const off = await getLivez({ client: app.client, query: { verbose: 'false' } });
      expect(off.data).toBe('ok');
    });

    it('stays 200 while shutting down', async () => {
      shuttingDown = true;
      try {
        expect((await getLivez({ client: app.client })).response.status).toBe(200);
      } finally {
        shuttingDown = false;
      }
    });

    it('answers an unknown query parameter with 400 in the probes error shape', async () => {
      const response = await fetch(`${app.baseUrl}/livez?nope=1`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ status: 'error', error: expect.any(String), code: 'bad_request' });
    });
  });

  describe('GET /readyz', () => {
    it('is ready while every critical source answers, whatever a non-critical one does', async () => {
      const { response, data } = await getReadyz({ client: app.client });
      expect(response.status).toBe(200);
      expect(data).toBe('ok');
      const verbose = await fetch(`${app.baseUrl}/readyz?verbose`);
      expect(await verbose.text()).toBe('[+]shutdown ok\n[+]cache ok\n[+]core ok\nreadyz check passed\n');
    });

    it('answers 503 as soon as shutdown begins', async () => {
      shuttingDown = true;
      try {
        const { response, error } = await getReadyz({ client: app.client });
        expect(response.status).toBe(503);
        expect(error).toBe('[-]shutdown failed: reason withheld\n[+]cache ok\n[+]core ok\nreadyz check failed\n');
      } finally {
        shuttingDown = false;
      }
    });

    it('answers 503 while a critical source fails, skips it with ?exclude, and is ready again once it is back', async () => {
      await own.kill();
      await runUntil(app.deps.engine, 'core', (result) => result.status !== 'ok');
      try {
        const failing = await getReadyz({ client: app.client });
        expect(failing.response.status).toBe(503);
        expect(failing.error).toBe('[+]shutdown ok\n[+]cache ok\n[-]core failed: reason withheld\nreadyz check failed\n');

        const excluded = await getReadyz({ client: app.client, query: { exclude: ['core'] } });
        expect(excluded.response.status).toBe(200);
      } finally {
        await own.restart();
        await runUntil(app.deps.engine, 'core', (result) => result.status === 'ok');
      }
      expect((await getReadyz({ client: app.client })).response.status).toBe(200);
    });
  });

  describe('GET /metrics', () => {
    async function scrape(): Promise<{ text: string; contentType: string | null }> {
      const { response, data } = await getMetrics({ client: app.client });
      expect(response.status).toBe(200);
      return { text: String(data), contentType: response.headers.get('content-type') };
    }

    function sample(text: string, series: string): number {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      if (!line) throw new Error(`no sample ${series} in:\n${text}`);
      return Number(line.slice(series.length + 1));
    }

    it('is public and speaks the Prometheus text format 0.0.4', async () => {
      const { contentType } = await scrape();
      expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    });

    it('reports each source up or down, one-hot status, and the build', async () => {
      const { text } = await scrape();
      expect(sample(text, 'vigil_source_up{source="cache",kind="redis"}')).toBe(1);
      expect(sample(text, 'vigil_source_up{source="side",kind="redis"}')).toBe(0);
      expect(sample(text, 'vigil_source_status{source="cache",kind="redis",status="ok"}')).toBe(1);
      expect(sample(text, 'vigil_source_status{source="side",kind="redis",status="ok"}')).toBe(0);
      const sideStatus = app.deps.engine.source('side')?.latest?.status;
      expect(sample(text, `vigil_source_status{source="side",kind="redis",status="${sideStatus}"}`)).toBe(1);
      const { version, gitHash } = app.deps.build;
      expect(sample(text, `vigil_build_info{version="${version}",git_hash="${gitHash}"}`)).toBe(1);
    });

    it('follows the engine: latency, last check time and uptime are measured', async () => {
      const result = await app.deps.engine.runNow('cache');
      const { text } = await scrape();
      expect(sample(text, 'vigil_source_latency_seconds{source="cache",kind="redis"}')).toBeCloseTo(result.latencyMs / 1000, 6);
      expect(sample(text, 'vigil_source_last_check_timestamp_seconds{source="cache",kind="redis"}')).toBe(Date.parse(result.timestamp) / 1000);
      const uptime = sample(text, 'vigil_uptime_seconds');
      expect(uptime).toBeGreaterThan(0);
      expect(uptime).toBeLessThanOrEqual((Date.now() - app.deps.startedAt.getTime()) / 1000);
    });

    it('shows no password and no error message', async () => {
      const { text } = await scrape();
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('ECONNREFUSED');
      expect(app.logs().join('\n')).not.toContain(PASSWORD);
    });
  });
});
