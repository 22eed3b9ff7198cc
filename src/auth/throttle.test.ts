import { describe, expect, it } from 'vitest';
import { accountDelayMs, decide, RULES, type FailureRow, type LoginAttempt } from './throttle.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const fail = (email: string, ip: string, secondsAgo: number, device: string | null = null): FailureRow => ({ email, ip, at: ago(secondsAgo), device });
const attempt = (email: string, ip: string, device: string | null = null): LoginAttempt => ({ email, ip, device });
const times = (n: number, row: (i: number) => FailureRow) => Array.from({ length: n }, (_, i) => row(i));

describe('decide', () => {
  it('lets the first attempts through', () => {
    expect(decide([], attempt('a@x.co', '1.1.1.1'), NOW)).toEqual({ retryAfter: 0, rule: null });
    expect(decide(times(4, (i) => fail('a@x.co', '1.1.1.1', 10 - i)), attempt('a@x.co', '1.1.1.1'), NOW).retryAfter).toBe(0);
  });

  it('makes an address wait 15 minutes after 5 failures in a row on one account', () => {
    const rows = times(5, (i) => fail('a@x.co', '1.1.1.1', 50 - i * 10)); // the last 10 s ago
    expect(decide(rows, attempt('a@x.co', '1.1.1.1'), NOW)).toEqual({ retryAfter: 15 * 60 - 10, rule: 'pair' });
    expect(decide(rows, attempt('a@x.co', '1.1.1.1'), new Date(NOW.getTime() + (15 * 60 - 10) * 1000)).retryAfter).toBe(0);
  });

  it('slows an account failing from many addresses with a delay that doubles, at most 15 minutes after the last failure', () => {
    expect([4, 5, 6, 7, 12, 13, 50].map(accountDelayMs)).toEqual([0, 5000, 10000, 20000, 640000, 900000, 900000]);
    const rows = (n: number) => times(n, (i) => fail('a@x.co', `10.0.0.${i}`, 1));
    expect(decide(rows(5), attempt('a@x.co', '9.9.9.9'), NOW)).toEqual({ retryAfter: 4, rule: 'account' });
    expect(decide(rows(7), attempt('a@x.co', '9.9.9.9'), NOW)).toEqual({ retryAfter: 19, rule: 'account' });
    expect(decide(rows(40), attempt('a@x.co', '9.9.9.9'), NOW)).toEqual({ retryAfter: 899, rule: 'account' });
    // Never a lock: 15 minutes after the last failure, a stranger may try again.
    expect(decide(rows(40), attempt('a@x.co', '9.9.9.9'), new Date(NOW.getTime() + 899_000)).retryAfter).toBe(0);
  });

  it('stops an address spraying many accounts after 30 failures in 15 minutes', () => {
    const rows = times(30, (i) => fail(`user${i}@x.co`, '6.6.6.6', 600 - i * 10));
    const decision = decide(rows, attempt('new@x.co', '6.6.6.6'), NOW);
    // Until the oldest of the 30 (600 s ago) is 15 minutes old.
    expect(decision).toEqual({ retryAfter: 300, rule: 'address' });
    expect(decide(rows.slice(1), attempt('new@x.co', '6.6.6.6'), NOW).retryAfter).toBe(0);
    expect(decide(rows, attempt('new@x.co', '7.7.7.7'), NOW).retryAfter).toBe(0);
  });

  it('does not slow the owner’s device for strangers’ failures, on the account or from its address', () => {
    const strangers = [...times(20, (i) => fail('a@x.co', `10.0.0.${i}`, 5)), ...times(30, (i) => fail(`u${i}@x.co`, '1.1.1.1', 5)), ...times(5, () => fail('a@x.co', '1.1.1.1', 5))];
    expect(decide(strangers, attempt('a@x.co', '1.1.1.1'), NOW).retryAfter).toBeGreaterThan(0);
    expect(decide(strangers, attempt('a@x.co', '1.1.1.1', 'dev1'), NOW)).toEqual({ retryAfter: 0, rule: null });
  });

  it('judges a device by its own failures, with the growing delay', () => {
    const own = times(6, () => fail('a@x.co', '1.1.1.1', 2, 'dev1'));
    expect(decide(own, attempt('a@x.co', '1.1.1.1', 'dev1'), NOW)).toEqual({ retryAfter: 8, rule: 'device' });
    expect(decide(own, attempt('a@x.co', '1.1.1.1', 'dev2'), NOW).retryAfter).toBe(0);
  });

  it('forgets failures after a day', () => {
    const old = times(40, (i) => fail('a@x.co', `10.0.0.${i}`, RULES.memoryMs / 1000 + 1));
    expect(decide(old, attempt('a@x.co', '10.0.0.1'), NOW).retryAfter).toBe(0);
  });

  it('takes the longest wait when several rules apply', () => {
    const rows = [...times(5, () => fail('a@x.co', '1.1.1.1', 1)), ...times(10, (i) => fail('a@x.co', `10.0.0.${i}`, 1))];
    expect(decide(rows, attempt('a@x.co', '1.1.1.1'), NOW)).toEqual({ retryAfter: 899, rule: 'pair' });
  });
});
