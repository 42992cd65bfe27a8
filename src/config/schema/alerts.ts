// `alerts:` — notifiers configured once, rules naming which sources alert them after how many
// consecutive results, maintenance windows and delivery retries. Names are checked against the
// configured sources and notifiers in build.ts.
import { z } from 'zod';
import { PAGERDUTY_EVENTS_URL } from '../../alerts/notifiers/pagerduty.ts';
import type { AlertRule, AlertsConfig, MaintenanceWindow, NotifierConfig } from '../../alerts/types.ts';
import type { SecretContext } from '../secret-ref.ts';
import { duration, flag, integer, issue, oneOf, secret, section, stringList, text } from './fields.ts';

const URL_HINT = 'an http:// or https:// URL';
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

function httpUrl(secrets: SecretContext) {
  return secret(secrets).pipe(text().regex(/^https?:\/\//, { error: URL_HINT }));
}

function notifierSchema(secrets: SecretContext) {
  const name = text().meta({ description: 'How rules refer to this notifier.' });
  return z.discriminatedUnion(
    'kind',
    [
      section({
        name,
        kind: z.literal('webhook'),
        url: httpUrl(secrets).meta({ description: 'Where the JSON event is POSTed (a secret: `{ env: NAME }` allowed).' }),
        secret: secret(secrets).optional().meta({ description: 'Signs each body: `X-Vigil-Signature: sha256=HMAC-SHA256(secret, "<X-Vigil-Timestamp>.<body>")`.' }),
        headers: z.record(z.string(), z.string(), { error: 'a mapping of header names to strings' }).prefault({}),
      }).transform((n): NotifierConfig => ({ name: n.name, kind: 'webhook', url: n.url, secret: n.secret, headers: n.headers })),
      section({
        name,
        kind: z.literal('slack'),
        url: httpUrl(secrets).meta({ description: 'The Slack-compatible incoming webhook URL (a secret).' }),
      }).transform((n): NotifierConfig => ({ name: n.name, kind: 'slack', url: n.url })),
      section({
        name,
        kind: z.literal('pagerduty'),
        routing_key: secret(secrets).meta({ description: "The PagerDuty service's integration key (Events API v2)." }),
        url: text().regex(/^https?:\/\//, { error: URL_HINT }).prefault(PAGERDUTY_EVENTS_URL),
        severity: oneOf(['critical', 'error', 'warning', 'info']).prefault('critical'),
      }).transform((n): NotifierConfig => ({ name: n.name, kind: 'pagerduty', url: n.url, routingKey: n.routing_key, severity: n.severity })),
      section({
        name,
        kind: z.literal('email'),
        host: text().meta({ description: 'The SMTP server.' }),
        port: integer(1, 65535).optional().meta({ description: 'Default 587, or 465 with `secure`.' }),
        secure: flag().prefault(false).meta({ description: 'TLS from the start (465); false: STARTTLS when the server offers it.' }),
        username: text().optional(),
        password: secret(secrets).optional(),
        from: text().meta({ description: 'The sender address.' }),
        to: z.union([text(), stringList()], { error: 'an address or a list of addresses' }),
      }).transform(
        (n): NotifierConfig => ({
          name: n.name,
          kind: 'email',
          host: n.host,
          port: n.port ?? (n.secure ? 465 : 587),
          secure: n.secure,
          username: n.username,
          password: n.password,
          from: n.from,
          to: typeof n.to === 'string' ? [n.to] : [...n.to],
        }),
      ),
    ],
    { error: 'one of webhook, slack, pagerduty, email (each notifier is a mapping with name and kind)' },
  );
}

const rule = section({
  sources: stringList('a list of source names (or "*")').meta({ description: 'Source names; `*` matches every source. The first rule naming a source applies.' }),
  notify: stringList('a list of notifier names from alerts.notifiers'),
  failure_threshold: integer(1, 1000).prefault(3).meta({ description: 'Consecutive failing results (error, timeout, failed) before "triggered".' }),
  success_threshold: integer(1, 1000).prefault(2).meta({ description: 'Consecutive passing results (ok, degraded) before "resolved".' }),
}).transform(
  (r): AlertRule => ({ sources: r.sources, notify: r.notify, failureThreshold: r.failure_threshold, successThreshold: r.success_threshold }),
);

const isoTime = z
  .union([z.string(), z.date()], { error: 'an ISO 8601 time' })
  .transform((value, ctx) => {
    const ms = value instanceof Date ? value.getTime() : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.issues.push(issue(value, 'an ISO 8601 time'));
      return z.NEVER;
    }
    return ms;
  });

const windowSources = stringList('a list of source names').prefault([]).meta({ description: 'Default: every source.' });

const maintenance = z.union(
  [
    section({ from: isoTime, to: isoTime, sources: windowSources }).transform((w, ctx): MaintenanceWindow => {
      if (w.to <= w.from) ctx.issues.push(issue(w, 'a window whose `to` comes after its `from`'));
      return { sources: w.sources, from: w.from, to: w.to };
    }),
    section({
      start: text().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'a UTC time of day as "HH:MM"' }),
      duration: duration(),
      every: z.array(z.string().transform((d) => d.toLowerCase()).pipe(oneOf(WEEKDAYS)), { error: 'a list of weekday names' }).prefault([]),
      sources: windowSources,
    }).transform(
      (w): MaintenanceWindow => ({
        sources: w.sources,
        startMinute: Number(w.start.slice(0, 2)) * 60 + Number(w.start.slice(3, 5)),
        durationMs: w.duration,
        weekdays: w.every.map((day) => WEEKDAYS.indexOf(day)),
      }),
    ),
  ],
  { error: 'a one-off window { from, to } or a recurring one { start: "HH:MM", duration, every? }' },
);

const delivery = section({
  max_attempts: integer(1, 1000).prefault(12).meta({ description: 'Attempts per event before it is given up (and logged).' }),
  initial_backoff: duration().prefault('5s'),
  max_backoff: duration().prefault('15m'),
  timeout: duration().prefault('10s').meta({ description: 'Longest one delivery may take.' }),
});

export function alertsSection(secrets: SecretContext) {
  return section({
    notifiers: z.array(notifierSchema(secrets), { error: 'a list of notifiers' }).prefault([]),
    rules: z.array(rule, { error: 'a list of rules' }).prefault([]),
    maintenance: z.array(maintenance, { error: 'a list of maintenance windows' }).prefault([]),
    delivery: delivery.prefault({}),
  })
    .transform(
      (s): AlertsConfig => ({
        notifiers: s.notifiers,
        rules: s.rules,
        maintenance: s.maintenance,
        delivery: {
          maxAttempts: s.delivery.max_attempts,
          initialBackoffMs: s.delivery.initial_backoff,
          maxBackoffMs: s.delivery.max_backoff,
          timeoutMs: s.delivery.timeout,
        },
      }),
    )
    .meta({ description: 'Alerts on status changes: notifiers, rules with thresholds, maintenance windows, delivery retries.' });
}

export type AlertsConfigInput = z.input<ReturnType<typeof alertsSection>>;
