import { describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS, retryDelay } from './retry.ts';

describe('retryDelay', () => {
  it.each([
    [1, 0.5, 5_000],
    [1, 0, 4_000],
    [1, 0.999999, 6_000],
    [2, 0.5, 30_000],
    [3, 0.5, 120_000],
    [4, 0.5, 600_000],
    [11, 0.5, 8 * 3600_000],
    [12, 0.5, null],
  ])('after attempt %i with random %f waits %j ms', (attempt, random, expected) => {
    expect(retryDelay(attempt, RETRY_DELAYS_MS, () => random)).toBe(expected);
  });

  it('keeps trying for more than 24 hours even with every jitter at its shortest', () => {
    let total = 0;
    for (let attempt = 1; ; attempt++) {
      const delay = retryDelay(attempt, RETRY_DELAYS_MS, () => 0);
      if (delay === null) break;
      total += delay;
    }
    expect(total).toBeGreaterThan(24 * 3600_000);
  });

  it('takes shorter steps when given them (tests), and gives up after them', () => {
    expect([1, 2, 3].map((n) => retryDelay(n, [100, 200], () => 0.5))).toEqual([100, 200, null]);
  });
});
