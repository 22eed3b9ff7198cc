import { describe, expect, it } from 'vitest';
import { newGrant, secondsLeft, signedUrl, signingKeyFor, verifyUrl } from './signing.ts';

const key = signingKeyFor('golden secret');
const NOW = 1_700_000_000_000;
/** A part URL signed before the store was split into modules (see index.test.ts). */
const PART_URL =
  'http://localhost:3000/store/videos/b.mp4?expires=1700000600&length=5242880&upload=0123456789abcdef0123456789abcdef&part=7&signature=G5uxtUr4ERPzUTl8awW-nVxrb1S3tyhG0CpV9QkDjCU';
const queryOf = (url: string) => new URL(url).searchParams;

describe('signed URLs', () => {
  it('verifies a URL signed earlier with the same secret, giving back its grant', () => {
    expect(verifyUrl(key, NOW, 'PUT', 'videos/b.mp4', queryOf(PART_URL))).toEqual({
      ok: true,
      grant: { method: 'PUT', key: 'videos/b.mp4', expires: 1_700_000_600, length: 5_242_880, uploadId: '0123456789abcdef0123456789abcdef', partNumber: 7 },
    });
  });

  it('signs the same grant into the same URL', () => {
    const grant = newGrant('PUT', 'videos/b.mp4', 600, { length: 5_242_880, uploadId: '0123456789abcdef0123456789abcdef', partNumber: 7, contentMd5: undefined }, NOW);
    expect(signedUrl(key, 'http://localhost:3000', grant)).toBe(PART_URL);
  });

  it('refuses another key, method, parameter or secret as a mismatch', () => {
    expect(verifyUrl(key, NOW, 'PUT', 'videos/c.mp4', queryOf(PART_URL))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyUrl(key, NOW, 'GET', 'videos/b.mp4', queryOf(PART_URL))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyUrl(key, NOW, 'PUT', 'videos/b.mp4', queryOf(PART_URL.replace('part=7', 'part=8')))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyUrl(key, NOW, 'PUT', 'videos/b.mp4', queryOf(`${PART_URL}&type=video%2Fmp4`))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyUrl(signingKeyFor('another secret'), NOW, 'PUT', 'videos/b.mp4', queryOf(PART_URL))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('calls a URL without signature or expiry, or with a number that is not one, malformed', () => {
    const without = (param: string) => {
      const query = queryOf(PART_URL);
      query.delete(param);
      return query;
    };
    expect(verifyUrl(key, NOW, 'PUT', 'videos/b.mp4', without('signature'))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyUrl(key, NOW, 'PUT', 'videos/b.mp4', without('expires'))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyUrl(key, NOW, 'PUT', 'videos/b.mp4', queryOf(PART_URL.replace('part=7', 'part=7e0')))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('expires a URL once its second has passed, saying when', () => {
    const expires = 1_700_000_600_000;
    expect(verifyUrl(key, expires, 'PUT', 'videos/b.mp4', queryOf(PART_URL)).ok).toBe(true);
    expect(verifyUrl(key, expires + 1, 'PUT', 'videos/b.mp4', queryOf(PART_URL))).toEqual({ ok: false, reason: 'expired', expiredAt: new Date(expires) });
  });

  it('counts the whole seconds left, never below 0, and refuses lifetimes outside 1 s to 7 days', () => {
    const grant = newGrant('GET', 'a', 120, {}, NOW + 400);
    expect(grant.expires).toBe(1_700_000_120);
    expect(secondsLeft(grant, NOW + 400)).toBe(120);
    expect(secondsLeft(grant, NOW + 200_000)).toBe(0);
    for (const expiresIn of [0, 1.5, 7 * 24 * 3600 + 1]) expect(() => newGrant('GET', 'a', expiresIn, {}, NOW)).toThrow(/expiresIn/);
    expect(newGrant('GET', 'a', 7 * 24 * 3600, {}, NOW).expires).toBe(1_700_000_000 + 7 * 24 * 3600);
  });
});
