// Email over SMTP with nodemailer (STARTTLS when offered, or TLS from the start).
import type { Transporter } from 'nodemailer';
import { safeErrorMessage } from '../../shared/redact.ts';
import type { AlertEvent, Notifier, NotifierConfig } from '../types.ts';
import { summary } from './words.ts';

type EmailConfig = Extract<NotifierConfig, { kind: 'email' }>;

export function emailMessage(config: EmailConfig, event: AlertEvent): { subject: string; text: string } {
  const subject = `[vigil] ${event.event === 'resolved' ? 'RESOLVED' : 'DOWN'}: ${event.source}`;
  const lines = [
    summary(event),
    '',
    `source:   ${event.source} (${event.kind})`,
    `status:   ${event.status}`,
    `started:  ${event.startedAt}`,
    ...(event.resolvedAt ? [`resolved: ${event.resolvedAt}`] : []),
    `incident: ${event.incidentKey}`,
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

/** nodemailer (about 4 MiB resident) is loaded by the first email sent, not by every Vigil. */
async function createTransport(config: EmailConfig): Promise<Transporter> {
  const { default: nodemailer } = await import('nodemailer');
  return nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.username ? { auth: { user: config.username, pass: config.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10_000,
  });
}

export function createEmailNotifier(config: EmailConfig): Notifier {
  let transport: Promise<Transporter> | undefined;
  const secrets = config.password ? [config.password] : [];
  return {
    name: config.name,
    kind: 'email',
    async send(event, signal) {
      const { subject, text } = emailMessage(config, event);
      transport ??= createTransport(config);
      const sending = (await transport).sendMail({ from: config.from, to: [...config.to], subject, text, headers: { 'X-Vigil-Delivery': event.id } });
      // nodemailer takes no AbortSignal: give up waiting when the delivery's time is over.
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(new Error('timed out'));
        signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true });
      });
      try {
        await Promise.race([sending, aborted]);
      } catch (error) {
        throw new Error(`email: SMTP send failed: ${safeErrorMessage(error, secrets)}`);
      }
    },
    async close() {
      (await transport)?.close();
    },
  };
}
