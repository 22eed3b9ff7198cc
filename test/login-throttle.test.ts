/**
 * The login throttle against the real app, on the embedded database and on PostgreSQL: it
 * stops guessing (per account and address, per address, per account) without ever locking
 * the owner out, and every instance on one database counts the same failures. The app's
 * clock is moved instead of waiting out the delays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/users.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { loginAs, openLoginForm, submitLogin } from './login.ts';

const WRONG = 'not the password!';

describe.each(['pglite', 'postgres'] as const)('login throttle on %s', (database) => {
  let t: TestApp;
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const later = (seconds: number) => (offset += seconds * 1000);

  beforeAll(async () => {
    // One trusted hop (this test's own connection): X-Forwarded-For names the client, so each case comes from addresses of its own.
    t = await startTestApp({ database, clock, env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => t?.close());

  /** One login attempt from a fresh browser (or one holding `cookie`) at `ip`: the status, Retry-After and the page's message. */
  async function attempt(email: string, password: string, ip: string, cookie = '') {
    const headers = { 'x-forwarded-for': ip };
    const res = await submitLogin(t.baseUrl, await openLoginForm(t.baseUrl, cookie, headers), email, password, headers);
    const text = await res.text();
    return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0), alert: /role="alert"[^>]*>([^<]*)</.exec(text)?.[1] ?? '' };
  }

  const account = async (name: string) => {
    const email = `${name}-${database}@example.com`;
    await createUser(t.app.db, { email, password: TEST_PASSWORD, role: 'editor' });
    return email;
  };

  it('answers the 6th wrong password from one address with 429 and Retry-After; the right one from there waits too, then passes', async () => {
    const email = await account('pair');
    for (let i = 0; i < 5; i++) expect(await attempt(email, WRONG, '203.0.113.1')).toMatchObject({ status: 401, alert: 'Wrong email or password.' });
    const sixth = await attempt(email, WRONG, '203.0.113.1');
    expect(sixth).toMatchObject({ status: 429, alert: 'Too many failed attempts. Try again in 15 minutes.' });
    expect(sixth.retryAfter).toBeGreaterThan(14 * 60);
    expect(sixth.retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await attempt(email, TEST_PASSWORD, '203.0.113.1')).status).toBe(429);
    // Refused attempts are not failures: waiting out the Retry-After is enough.
    later(sixth.retryAfter);
    expect((await attempt(email, TEST_PASSWORD, '203.0.113.1')).status).toBe(303);
    // The success reset the failures in a row from that address.
    for (let i = 0; i < 4; i++) expect((await attempt(email, WRONG, '203.0.113.1')).status).toBe(401);
  });

  it('ends password spraying from one address in 429: 40 emails, one guess each', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await attempt(`sprayed${i}-${database}@example.com`, WRONG, '203.0.113.66')).status);
    expect(statuses).toEqual([...Array(30).fill(401), ...Array(10).fill(429)]);
    // Another address is not held back by that one.
    expect((await attempt(await account('unsprayed'), TEST_PASSWORD, '203.0.113.67')).status).toBe(303);
  });

  it('slows an account guessed at from many addresses, but the owner’s browser logs in at once; after the delay a stranger may try again', async () => {
    const email = await account('owner');
    const owner = await loginAs(t.baseUrl, email, TEST_PASSWORD);
    // Strangers at many addresses, each waiting out the delay the one before earned: 5 s, 10 s, 20 s.
    const waits: number[] = [];
    for (let failures = 0, i = 1; failures < 8; i++) {
      const res = await attempt(email, WRONG, `198.51.100.${i}`);
      if (res.status === 429) {
        waits.push(res.retryAfter);
        later(res.retryAfter);
      } else {
        expect(res.status).toBe(401);
        failures++;
      }
    }
    expect(waits).toHaveLength(3);
    waits.forEach((wait, i) => expect(wait).toBeGreaterThan(5 * 2 ** i - 3));
    waits.forEach((wait, i) => expect(wait).toBeLessThanOrEqual(5 * 2 ** i));
    // 8 failures: a delay of 5 s × 2³ since the last one.
    const stranger = await attempt(email, TEST_PASSWORD, '198.51.100.200');
    expect(stranger.status).toBe(429);
    expect(stranger.retryAfter).toBeGreaterThan(30);
    expect(stranger.retryAfter).toBeLessThanOrEqual(40);
    expect(stranger.alert).toMatch(/^Too many failed attempts\. Try again in \d+ seconds\.$/);
    // The owner's browser carries the device cookie of an earlier login.
    expect((await attempt(email, TEST_PASSWORD, '198.51.100.201', owner.device)).status).toBe(303);
    later(stranger.retryAfter);
    expect((await attempt(email, TEST_PASSWORD, '198.51.100.200')).status).toBe(303);
  });

  it('lets no concurrent guess slip past the count', async () => {
    const email = await account('concurrent');
    const results = await Promise.all(Array.from({ length: 10 }, () => attempt(email, WRONG, '203.0.113.99')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(5).fill(429)]);
    expect(await t.app.db.selectFrom('login_failures').select('id').where('email', '=', email).execute()).toHaveLength(5);
  });

  it.runIf(database === 'postgres')('counts failures across two instances on one database', async () => {
    const second = await startTestApp({ databaseUrl: t.config.databaseUrl!, clock, env: { TRUST_PROXY: '1' } });
    try {
      const email = await account('shared');
      const on = async (app: TestApp, password: string) => {
        const headers = { 'x-forwarded-for': '203.0.113.150' };
        const res = await submitLogin(app.baseUrl, await openLoginForm(app.baseUrl, '', headers), email, password, headers);
        await res.arrayBuffer();
        return res.status;
      };
      for (const app of [t, second, t, second, t]) expect(await on(app, WRONG)).toBe(401);
      expect(await on(second, TEST_PASSWORD)).toBe(429);
      expect(await on(t, TEST_PASSWORD)).toBe(429);
    } finally {
      await second.close();
    }
  });
});
