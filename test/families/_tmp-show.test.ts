import { it } from 'vitest';
import { startTestApp } from '../support/app.ts';
import { TMP_FACTORIES } from './_tmp-factories.ts';
import { createApiKey } from '../../src/identity/index.ts';
import { startSilentTcpServer } from '../support/servers/silent-tcp.ts';
it('shows', async () => {
  const silent = await startSilentTcpServer();
  const app = await startTestApp({ factories: TMP_FACTORIES, sources: [
    { name: 'events', kind: 'nats', url: 'nats://127.0.0.1:4222' },
    { name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379' },
    { name: 'down', kind: 'redis', url: 'redis://:pw12345@127.0.0.1:1' , critical: false},
    { name: 'hang', kind: 'redis', url: `redis://127.0.0.1:${silent.port}`, timeoutMs: 300, critical: false },
    { name: 'bad', kind: 'bogus', critical: false },
  ], config: { auth: { hasuraAdminSecret: 'sekret123' } } });
  const { key } = await createApiKey(app.deps.store, { name: 's', scopes: ['status:read'] });
  for (const [path, headers] of [['/health/status', { 'X-API-Key': key }], ['/healthz/sources', { 'X-Hasura-Admin-Secret': 'sekret123', 'X-Hasura-Role': 'admin' }], ['/healthz', {}], ['/healthz?strict=true', {}], ['/readyz?verbose', {}], ['/livez?verbose=1', {}], ['/metrics', {}], ['/health/status?x=1', { 'X-API-Key': key }], ['/health/status', {}]] as const) {
    const r = await fetch(app.baseUrl + path, { headers });
    console.log(`=== ${path} ${r.status} ${r.headers.get('content-type')}\n${await r.text()}`);
  }
  await app.close(); await silent.close();
});
