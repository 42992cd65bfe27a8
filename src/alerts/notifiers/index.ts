// One factory per notifier kind.
import type { Notifier, NotifierConfig } from '../types.ts';
import { createEmailNotifier } from './email.ts';
import { createPagerDutyNotifier } from './pagerduty.ts';
import { createSlackNotifier } from './slack.ts';
import { createWebhookNotifier } from './webhook.ts';

export function createNotifier(config: NotifierConfig): Notifier {
  switch (config.kind) {
    case 'webhook':
      return createWebhookNotifier(config);
    case 'slack':
      return createSlackNotifier(config);
    case 'pagerduty':
      return createPagerDutyNotifier(config);
    case 'email':
      return createEmailNotifier(config);
  }
}
