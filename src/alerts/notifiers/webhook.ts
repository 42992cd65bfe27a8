// Generic webhook: the event as JSON, signed when a secret is set. Receivers verify
// `X-Vigil-Signature: sha256=<hex>` = HMAC-SHA256(secret, `<X-Vigil-Timestamp>.<body>`)
// and may drop a repeated `X-Vigil-Delivery`.
import { createHmac } from 'node:crypto';
import { postJson } from '../http-post.ts';
import type { AlertEvent, Notifier, NotifierConfig } from '../types.ts';

type WebhookConfig = Extract<NotifierConfig, { kind: 'webhook' }>;

export function webhookBody(event: AlertEvent): Record<string, unknown> {
  return {
    id: event.id,
    incident: event.incidentKey,
    event: event.event,
    source: event.source,
    kind: event.kind,
    status: event.status,
    reason: event.reason ?? null,
    started_at: event.startedAt,
    resolved_at: event.resolvedAt ?? null,
  };
}

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function createWebhookNotifier(config: WebhookConfig, now: () => number = Date.now): Notifier {
  return {
    name: config.name,
    kind: 'webhook',
    async send(event, signal) {
      const body = JSON.stringify(webhookBody(event));
      const timestamp = String(Math.floor(now() / 1000));
      const headers: Record<string, string> = {
        ...config.headers,
        'x-vigil-event': event.event,
        'x-vigil-delivery': event.id,
        'x-vigil-timestamp': timestamp,
        ...(config.secret ? { 'x-vigil-signature': signature(config.secret, timestamp, body) } : {}),
      };
      await postJson('webhook', config.url, body, headers, signal, config.secret ? [config.secret] : []);
    },
  };
}
