// Vigil's JSON logger. Redaction is a second line of defence: request logging already keeps
// only whitelisted headers, but anything that logs a raw request, header set or options
// object still never prints a credential.
import { pino, type Logger } from 'pino';

/** Paths pino masks wherever they appear in a log line. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-hasura-admin-secret"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-hasura-admin-secret"]',
  'headers["set-cookie"]',
  'req.body',
  'body',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'AdminAPIKey',
  '*.AdminAPIKey',
  'SessionID',
  '*.SessionID',
  'APIKey',
  '*.APIKey',
];

export interface LoggerInput {
  readonly level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture lines. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(input: LoggerInput = {}): Logger {
  const options: pino.LoggerOptions = {
    level: input.level ?? 'info',
    base: { service: 'vigil' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
  return input.destination ? pino(options, input.destination) : pino(options);
}
