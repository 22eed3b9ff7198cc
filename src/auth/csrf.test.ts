import { describe, expect, it } from 'vitest';
import { checkCsrf, isCsrfTokenFor, newCsrfToken, presessionBinding, sessionBinding } from './csrf.ts';
import { newDeviceCookie, readDeviceCookie } from './device.ts';

const SECRET = 'a secret of at least thirty-two characters';

describe('CSRF tokens bound to a session', () => {
  it('verifies a token for the session or pre-session it was issued to, and no other', () => {
    const mine = sessionBinding('my session token');
    const token = newCsrfToken(SECRET, mine);
    expect(isCsrfTokenFor(SECRET, mine, token)).toBe(true);
    expect(checkCsrf(SECRET, mine, token, token)).toBe(true);
    expect(checkCsrf(SECRET, sessionBinding('another session token'), token, token)).toBe(false);
    expect(checkCsrf(SECRET, presessionBinding('my session token'), token, token)).toBe(false);
    expect(checkCsrf('another secret of thirty-two characters..', mine, token, token)).toBe(false);
  });

  it('refuses a token that does not match its cookie, or is malformed', () => {
    const binding = presessionBinding('pre');
    const token = newCsrfToken(SECRET, binding);
    expect(checkCsrf(SECRET, binding, token, newCsrfToken(SECRET, binding))).toBe(false);
    expect(checkCsrf(SECRET, binding, token, undefined)).toBe(false);
    for (const bad of ['', 'a.b', `${token}.x`, token.split('.')[0]!, 'x'.repeat(10_000)]) expect(isCsrfTokenFor(SECRET, binding, bad)).toBe(false);
  });
});

describe('device cookies', () => {
  it('name the user they were signed for, and a tampered one names nobody', () => {
    const cookie = newDeviceCookie(SECRET, 42);
    expect(readDeviceCookie(SECRET, cookie)).toMatchObject({ userId: 42 });
    expect(readDeviceCookie(SECRET, cookie.replace(/^42\./, '43.'))).toBeNull();
    expect(readDeviceCookie(SECRET, undefined)).toBeNull();
    expect(readDeviceCookie(SECRET, 'garbage')).toBeNull();
  });
});
