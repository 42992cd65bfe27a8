// /api/v1/stats/sftpgo against the protocol-level SFTPGo stand-in, probed the way the demo does
// it: `/api/v2/status` with a condition on the data provider (config/local.yaml). An SFTPGo that
// answers is up: what it said is reported, never "down, all null". (/healthz's 503 and a dead
// SFTPGo are covered by the renderer tests and health.test.ts.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getSftpgoStats } from '../../generated/sdk.gen.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { runUntil } from '../support/source-states.ts';
import { startSftpgoServer, type TestSftpgoServer } from '../support/servers/sftpgo.ts';

const HOUR = 3_600_000;

describe('GET /api/v1/stats/sftpgo with SFTPGo answering', () => {
  let sftpgo: TestSftpgoServer;
  let app: TestApp | undefined;

  beforeAll(async () => {
    sftpgo = await startSftpgoServer();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    sftpgo.setStatus({ dataProvider: true });
    sftpgo.setHealthy(true);
  });
  afterAll(() => sftpgo?.close());

  async function startWith(source: Record<string, unknown>): Promise<TestApp> {
    app = await startTestApp({
      sources: [{ name: 'sftpgo', kind: 'http', intervalMs: HOUR, timeoutMs: 3_000, critical: false, ...source }],
      config: { families: { health: { sftpgo: 'sftpgo' } } },
    });
    return app;
  }

  it('reports an inactive data provider as degraded with every field SFTPGo gave, when the source requires it active', async () => {
    const started = await startWith({ url: `${sftpgo.url}/api/v2/status`, json_path: '$.data_provider.is_active', equals: true });
    let { data } = await getSftpgoStats({ client: started.client });
    expect(data).toMatchObject({ status: 'ok', data_provider: { is_active: true }, services: { ssh: { is_active: true } } });

    sftpgo.setStatus({ dataProvider: false, webdav: true });
    await runUntil(started.deps.engine, 'sftpgo', (r) => r.status === 'error');
    const answer = await getSftpgoStats({ client: started.client });
    data = answer.data;
    expect(answer.response.status).toBe(200);
    expect(data).toEqual({
      status: 'degraded',
      latency_ms: expect.any(Number),
      checked_at: expect.any(String),
      services: {
        ssh: { is_active: true },
        ftp: { is_active: false },
        webdav: { is_active: true },
        defender: { is_active: false },
        mfa: { is_active: true },
        allow_list: { is_active: false },
        rate_limiters: { is_active: false },
      },
      data_provider: { is_active: false },
    });
    // Public output: SFTPGo's own error text, driver and bindings stay out.
    expect(JSON.stringify(data)).not.toMatch(/database is locked|sqlite|2022|expected/);
  });
});
