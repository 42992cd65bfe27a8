// Shared pieces of the identity tests: an AuthConfig with test defaults, a movable clock, a
// logger whose lines are kept for "no secret in logs" assertions, and cheap scrypt parameters.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { AuthConfig } from '../../src/config/types.ts';
import type { CredentialCarrier } from '../../src/identity/types.ts';
import type { ScryptParams } from '../../src/identity/passwords.ts';

/** Fast enough for tests that create many users; production uses the defaults. */
export const CHEAP_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export function authConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    jwt: undefined,
    hasuraAdminSecret: undefined,
    session: { ttlMs: 8 * HOUR, idleTimeoutMs: 30 * MINUTE, redisSource: undefined },
    throttle: { maxFailures: 1000, maxAccountFailures: 1000, windowMs: MINUTE },
    storeTimeoutMs: 1_000,
    credentialCacheTtlMs: MINUTE,
    credentialReuseMs: 0,
    ...overrides,
  };
}

export interface Clock {
  (): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.parse('2026-03-01T00:00:00Z')): Clock {
  let now = start;
  const clock = (() => now) as Clock;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

export interface CapturedLogger {
  readonly logger: Logger;
  /** Every line written so far, raw JSON text. */
  text(): string;
}

export function capturedLogger(): CapturedLogger {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, destination), text: () => lines.join('') };
}

export function carrier(parts: Partial<CredentialCarrier> = {}): CredentialCarrier {
  return { headers: {}, cookies: {}, body: undefined, ip: '127.0.0.1', ...parts };
}
