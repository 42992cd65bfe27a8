// PagerDuty Events API v2: `trigger` and `resolve` share a dedup_key (one per incident), so
// PagerDuty itself folds a repeated delivery into the same incident.
import { postJson } from '../http-post.ts';
import type { AlertEvent, Notifier, NotifierConfig } from '../types.ts';
import { summary } from './words.ts';

type PagerDutyConfig = Extract<NotifierConfig, { kind: 'pagerduty' }>;

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export function pagerDutyBody(config: PagerDutyConfig, event: AlertEvent): Record<string, unknown> {
  const dedupKey = `vigil:${event.incidentKey}`;
  if (event.event === 'resolved') return { routing_key: config.routingKey, event_action: 'resolve', dedup_key: dedupKey };
  return {
    routing_key: config.routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: summary(event).slice(0, 1024),
      source: event.source,
      severity: config.severity,
      timestamp: event.startedAt,
      component: event.source,
      class: event.kind,
      custom_details: { status: event.status, reason: event.reason ?? null },
    },
  };
}

export function createPagerDutyNotifier(config: PagerDutyConfig): Notifier {
  return {
    name: config.name,
    kind: 'pagerduty',
    async send(event, signal) {
      await postJson('pagerduty', config.url, JSON.stringify(pagerDutyBody(config, event)), {}, signal, [config.routingKey]);
    },
  };
}
