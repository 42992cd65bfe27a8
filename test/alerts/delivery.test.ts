// Alerts delivered to real local receivers: an HTTP server standing in for a webhook, Slack
// and PagerDuty, and an SMTP server (smtp-server from npm) for email. Thresholds hold, one
// "triggered" and one "resolved" per incident, the signature verifies, deliveries are retried
// while the receiver is down, and a restart (a new service over the same store) neither loses
// nor repeats one. No secret reaches a receiver or a log line.
import { createHmac, randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertService, type AlertService } from '../../src/alerts/service.ts';
import type { AlertsConfig, NotifierConfig } from '../../src/alerts/types.ts';
import type { CheckResult, CheckStatus } from '../../src/checks/types.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { captureLogger } from '../support/app.ts';
import { startHttpServer, type TestHttpServer } from '../support/servers/http.ts';
import { freshBackend, silentLogger, type BackendFixture } from '../store/backends.ts';

const SECRET = `whsec-${randomBytes(12).toString('hex')}`;
const ROUTING_KEY = `pd-${randomBytes(12).toString('hex')}`;
const SMTP_PASSWORD = `smtp-${randomBytes(8).toString('hex')}`;

let receiver: TestHttpServer;
let smtp: SMTPServer;
let smtpPort = 0;
const mails: string[] = [];

function config(notifiers: NotifierConfig[], rules: AlertsConfig['rules']): AlertsConfig {
  return { notifiers, rules, maintenance: [], delivery: { maxAttempts: 50, initialBackoffMs: 50, maxBackoffMs: 200, timeoutMs: 10_000 } };
}

let clock = Date.parse('2026-12-01T08:00:00Z');
function result(source: string, status: CheckStatus): CheckResult {
  clock += 1_000;
  return { source, kind: 'postgres', status, latencyMs: 3, timestamp: new Date(clock).toISOString(), ...(status === 'ok' ? {} : { error: 'postgres: connect failed: ECONNREFUSED' }) } as CheckResult;
}

async function feed(service: AlertService, source: string, statuses: CheckStatus[]): Promise<void> {
  for (const status of statuses) service.onResult(result(source, status));
  await service.settle();
}

async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const posts = (path: string) => receiver.requests.filter((r) => r.method === 'POST' && r.path === path);

beforeAll(async () => {
  receiver = await startHttpServer({ answer: { status: 200, body: '{}', contentType: 'application/json' } });
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    onAuth(auth, _session, callback) {
      callback(auth.password === SMTP_PASSWORD ? null : new Error('bad password'), { user: auth.username });
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString());
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as { port: number }).port;
});

afterAll(async () => {
  await receiver?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

describe('delivery to every kind of notifier', () => {
  let fixture: BackendFixture;
  let store: Store;
  let service: AlertService;
  const captured = captureLogger();

  beforeAll(async () => {
    fixture = await freshBackend('pglite');
    store = await createStore(fixture.config, silentLogger);
    const base = receiver.url.replace(/\/$/, '');
    service = createAlertService({
      store,
      logger: captured.logger,
      deliveryIntervalMs: 100,
      config: config(
        [
          { name: 'hook', kind: 'webhook', url: `${base}/hook`, secret: SECRET, headers: { 'x-team': 'ops' } },
          { name: 'chat', kind: 'slack', url: `${base}/slack/T000/B000/${SECRET}` },
          { name: 'pager', kind: 'pagerduty', url: `${base}/pd`, routingKey: ROUTING_KEY, severity: 'critical' },
          { name: 'mail', kind: 'email', host: '127.0.0.1', port: smtpPort, secure: false, username: 'vigil', password: SMTP_PASSWORD, from: 'vigil@example.test', to: ['oncall@example.test'] },
        ],
        [{ sources: ['db'], notify: ['hook', 'chat', 'pager', 'mail'], failureThreshold: 3, successThreshold: 2 }],
      ),
    });
  });
  afterAll(async () => {
    await service?.close();
    await store?.close();
    await fixture?.cleanup();
  });

  it('a blip sends nothing; an incident sends one triggered and one resolved to each', async () => {
    await feed(service, 'db', ['ok', 'error', 'ok']);
    await service.deliverNow();
    expect(posts('/hook')).toHaveLength(0);

    await feed(service, 'db', ['error', 'timeout', 'error', 'error']);
    await until('triggered everywhere', () => posts('/hook').length === 1 && posts('/pd').length === 1 && mails.length === 1 && receiver.requests.some((r) => r.path.startsWith('/slack/')));
    await feed(service, 'db', ['ok', 'ok', 'ok']);
    await until('resolved everywhere', () => posts('/hook').length === 2 && posts('/pd').length === 2 && mails.length === 2);

    const [trigger, resolve] = posts('/hook');
    const t = JSON.parse(trigger?.body ?? '{}') as Record<string, unknown>;
    const r = JSON.parse(resolve?.body ?? '{}') as Record<string, unknown>;
    expect(t).toMatchObject({ event: 'triggered', source: 'db', status: 'error' });
    expect(r).toMatchObject({ event: 'resolved', source: 'db', status: 'ok', incident: t.incident });
    expect(trigger?.headers['x-team']).toBe('ops');
    // The signature verifies with the shared secret over "<timestamp>.<body>".
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${String(trigger?.headers['x-vigil-timestamp'])}.${trigger?.body ?? ''}`).digest('hex')}`;
    expect(trigger?.headers['x-vigil-signature']).toBe(expected);

    const [pdTrigger, pdResolve] = posts('/pd').map((p) => JSON.parse(p.body) as Record<string, unknown>);
    expect(pdTrigger).toMatchObject({ event_action: 'trigger', routing_key: ROUTING_KEY, payload: { severity: 'critical', source: 'db' } });
    expect(pdResolve).toMatchObject({ event_action: 'resolve', dedup_key: pdTrigger?.dedup_key });

    const slack = receiver.requests.filter((q) => q.path.startsWith('/slack/')).map((q) => JSON.parse(q.body) as { text: string });
    expect(slack.map((s) => s.text)).toEqual([expect.stringContaining('db is down'), expect.stringContaining('db is up again')]);
    expect(mails[0]).toContain('Subject: [vigil] DOWN: db');
    expect(mails[1]).toContain('Subject: [vigil] RESOLVED: db');

    // No secret in any body sent, nor in the logs.
    const sent = [...receiver.requests.map((q) => q.body), ...mails].join('\n');
    for (const secret of [SECRET, SMTP_PASSWORD]) expect(sent).not.toContain(secret);
    const logs = captured.lines().join('\n');
    for (const secret of [SECRET, SMTP_PASSWORD, ROUTING_KEY]) expect(logs).not.toContain(secret);
    expect(logs).toContain('alert: delivered triggered of db to hook');
  }, 90_000);
});

describe('retries and restarts', () => {
  let fixture: BackendFixture;

  beforeAll(async () => {
    fixture = await freshBackend('pglite', { reopenable: true });
  });
  afterAll(() => fixture?.cleanup());

  it('retries while the receiver is down, and a restart neither loses nor repeats an alert', async () => {
    const path = `/restart-${randomBytes(4).toString('hex')}`;
    const base = receiver.url.replace(/\/$/, '');
    const cfg = config(
      [{ name: 'hook', kind: 'webhook', url: `${base}${path}`, secret: undefined, headers: {} }],
      [{ sources: ['*'], notify: ['hook'], failureThreshold: 2, successThreshold: 1 }],
    );
    receiver.answer({ status: 503 });
    let store = await createStore(fixture.config, silentLogger);
    let service = createAlertService({ store, logger: silentLogger, config: cfg, deliveryIntervalMs: 50 });
    await feed(service, 'api', ['error', 'error']);
    await until('several failed attempts', () => posts(path).length >= 3);
    // Vigil stops with the alert still undelivered.
    await service.close();
    await store.close();
    const attemptsBefore = posts(path).length;

    receiver.answer({ status: 200 });
    store = await createStore(fixture.config, silentLogger);
    service = createAlertService({ store, logger: silentLogger, config: cfg, deliveryIntervalMs: 50 });
    // Still failing after the restart: the incident was announced already, so no second one.
    await feed(service, 'api', ['error', 'error', 'error']);
    await until('the pending alert delivered', () => posts(path).slice(attemptsBefore).length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    await service.deliverNow();
    const delivered = posts(path).slice(attemptsBefore).map((p) => JSON.parse(p.body) as { event: string; id: string });
    expect(delivered.map((d) => d.event)).toEqual(['triggered']);
    // Every attempt of that one alert carried the same delivery id.
    expect(new Set(posts(path).map((p) => p.headers['x-vigil-delivery'])).size).toBe(1);

    await feed(service, 'api', ['ok']);
    await until('resolved', () => posts(path).slice(attemptsBefore).length === 2);
    expect(JSON.parse(posts(path).at(-1)?.body ?? '{}')).toMatchObject({ event: 'resolved', source: 'api' });
    await service.close();
    await store.close();
  }, 90_000);
});

describe('two replicas on one PostgreSQL store', () => {
  let fixture: BackendFixture;

  beforeAll(async () => {
    fixture = await freshBackend('postgres');
  });
  afterAll(() => fixture?.cleanup());

  it('both see the same results; each alert is queued and sent exactly once', async () => {
    const path = `/replicas-${randomBytes(4).toString('hex')}`;
    const base = receiver.url.replace(/\/$/, '');
    receiver.answer({ status: 200 });
    const cfg = config(
      [{ name: 'hook', kind: 'webhook', url: `${base}${path}`, secret: undefined, headers: {} }],
      [{ sources: ['*'], notify: ['hook'], failureThreshold: 2, successThreshold: 1 }],
    );
    const stores = [await createStore(fixture.config, silentLogger), await createStore(fixture.config, silentLogger)];
    const services = stores.map((store) => createAlertService({ store, logger: silentLogger, config: cfg, deliveryIntervalMs: 30 }));
    // The same results reach both (as after a failover, when both saw the source), at once.
    const results = (['error', 'error', 'error', 'ok', 'error', 'error'] as const).map((s) => result('shared', s));
    for (const r of results) for (const service of services) service.onResult(r);
    await Promise.all(services.map((s) => s.settle()));
    await until('two incidents, each triggered and resolved once, then triggered again', () => posts(path).length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(services.map((s) => s.deliverNow()));
    const events = posts(path).map((p) => JSON.parse(p.body) as { event: string; incident: string });
    expect(events.map((e) => `${e.event} ${e.incident}`)).toEqual(['triggered shared#1', 'resolved shared#1', 'triggered shared#2']);
    for (const service of services) await service.close();
    for (const store of stores) await store.close();
  }, 90_000);

  it('a replica that replays results the other already acted on announces nothing again', async () => {
    const path = `/replay-${randomBytes(4).toString('hex')}`;
    const base = receiver.url.replace(/\/$/, '');
    receiver.answer({ status: 200 });
    const cfg = config(
      [{ name: 'hook', kind: 'webhook', url: `${base}${path}`, secret: undefined, headers: {} }],
      [{ sources: ['*'], notify: ['hook'], failureThreshold: 2, successThreshold: 1 }],
    );
    const source = `replayed-${randomBytes(3).toString('hex')}`;
    const stores = [await createStore(fixture.config, silentLogger), await createStore(fixture.config, silentLogger)];
    const [first, late] = stores.map((store) => createAlertService({ store, logger: silentLogger, config: cfg, deliveryIntervalMs: 30 }));
    const results = (['error', 'error', 'error', 'ok', 'error', 'error'] as const).map((s, i) => ({
      ...result(source, s),
      timestamp: new Date(Date.UTC(2026, 11, 1, 12, 0, i)).toISOString(),
    }));
    // One replica acts on every result, then the other sees the same results (a failover).
    for (const r of results) first!.onResult(r);
    await first!.settle();
    for (const r of results) late!.onResult(r);
    await late!.settle();
    await until('three announcements', () => posts(path).length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([first!.deliverNow(), late!.deliverNow()]);
    const events = posts(path).map((p) => JSON.parse(p.body) as { event: string; incident: string });
    expect(events.map((e) => `${e.event} ${e.incident}`)).toEqual([`triggered ${source}#1`, `resolved ${source}#1`, `triggered ${source}#2`]);
    await first!.close();
    await late!.close();
    for (const store of stores) await store.close();
  }, 90_000);
});
