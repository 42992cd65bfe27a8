// The one sentence every human-facing notifier (Slack, PagerDuty, email) says of an event.
import type { AlertEvent } from '../types.ts';

export function summary(event: AlertEvent): string {
  if (event.event === 'resolved') return `${event.source} is up again (was down since ${event.startedAt})`;
  return `${event.source} is down: ${event.status}${event.reason ? ` (${event.reason})` : ''}`;
}
