// Hashing and comparison of secrets. Every comparison of a presented secret with a stored or
// configured one goes through `constantTimeEqual`, so response time says nothing about how
// many leading characters were right.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Compares two strings in time independent of their content and of where they differ.
 * Both sides are hashed first so that unequal lengths take the same path as equal ones.
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** `bytes` random bytes, base64url (no padding): URL-, cookie- and header-safe. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
