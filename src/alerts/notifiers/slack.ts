// Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `text` plus one block.
import { postJson } from '../http-post.ts';
import type { AlertEvent, Notifier, NotifierConfig } from '../types.ts';
import { summary } from './words.ts';

type SlackConfig = Extract<NotifierConfig, { kind: 'slack' }>;

export function slackBody(event: AlertEvent): Record<string, unknown> {
  const icon = event.event === 'resolved' ? ':large_green_circle:' : ':red_circle:';
  const text = `${icon} ${summary(event)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function createSlackNotifier(config: SlackConfig): Notifier {
  return {
    name: config.name,
    kind: 'slack',
    async send(event, signal) {
      await postJson('slack', config.url, JSON.stringify(slackBody(event)), {}, signal, []);
    },
  };
}
