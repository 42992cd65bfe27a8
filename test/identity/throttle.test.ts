import { describe, expect, it } from 'vitest';
import { createThrottle } from '../../src/identity/throttle.ts';
import { fakeClock, MINUTE } from './fixtures.ts';

describe('the failure throttle', () => {
  it('refuses an address once it reaches maxFailures within the window, until the window ends', () => {
    const clock = fakeClock();
    const throttle = createThrottle({ maxFailures: 3, windowMs: MINUTE, now: clock });
    throttle.recordFailure('a');
    throttle.recordFailure('a');
    expect(throttle.isThrottled('a')).toBe(false);
    clock.advance(10_000);
    throttle.recordFailure('a');
    expect(throttle.isThrottled('a')).toBe(true);
    expect(throttle.retryAfterMs('a')).toBe(MINUTE - 10_000);
    expect(throttle.isThrottled('b')).toBe(false);
    clock.advance(MINUTE - 10_000);
    expect(throttle.isThrottled('a')).toBe(false);
    expect(throttle.retryAfterMs('a')).toBe(0);
  });

  it('starts a new window for failures after the old one ended', () => {
    const clock = fakeClock();
    const throttle = createThrottle({ maxFailures: 2, windowMs: MINUTE, now: clock });
    throttle.recordFailure('a');
    clock.advance(MINUTE);
    throttle.recordFailure('a');
    expect(throttle.isThrottled('a')).toBe(false);
  });

  it('tracks a bounded number of addresses, dropping the oldest windows first', () => {
    const clock = fakeClock();
    const throttle = createThrottle({ maxFailures: 1, windowMs: MINUTE, now: clock, maxTracked: 100 });
    for (let i = 0; i < 1_000; i += 1) throttle.recordFailure(`10.0.${Math.floor(i / 256)}.${i % 256}`);
    expect(throttle.isThrottled('10.0.3.231')).toBe(true); // the newest is kept
    expect(throttle.isThrottled('10.0.0.0')).toBe(false); // the oldest was dropped
  });
});
