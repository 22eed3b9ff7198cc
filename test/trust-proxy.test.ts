/**
 * TRUST_PROXY decides whose X-Forwarded-For is believed: unset, nobody's, so a client cannot
 * forge its address to reset the per-address throttle; a hop count or a list of proxies pick
 * the client address as proxy-addr reads the chain. The address a login failure records is
 * the one the throttle counts.
 */
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.ts';
import { openLoginForm, submitLogin } from './login.ts';

/** This test's connection comes from 127.0.0.1; the chain says client 203.0.113.5, then a proxy at 10.0.0.2. */
const CHAIN = '203.0.113.5, 10.0.0.2';

async function withApp<T>(trustProxy: string | undefined, work: (t: TestApp) => Promise<T>): Promise<T> {
  const t = await startTestApp(trustProxy === undefined ? {} : { env: { TRUST_PROXY: trustProxy } });
  try {
    return await work(t);
  } finally {
    await t.close();
  }
}

async function failLogin(t: TestApp, email: string, forwardedFor: string) {
  const headers = { 'x-forwarded-for': forwardedFor };
  const res = await submitLogin(t.baseUrl, await openLoginForm(t.baseUrl, '', headers), email, 'wrong password!', headers);
  await res.arrayBuffer();
  return res;
}

/** The client address the app saw, as the login failure it recorded says. */
async function clientAddress(t: TestApp, forwardedFor: string): Promise<string> {
  const email = `who-${Math.random().toString(36).slice(2)}@example.com`;
  expect((await failLogin(t, email, forwardedFor)).status).toBe(401);
  const row = await t.app.db.selectFrom('login_failures').select('ip').where('email', '=', email).executeTakeFirstOrThrow();
  return row.ip;
}

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, '127.0.0.1'],
    ['false', '127.0.0.1'],
    ['0', '127.0.0.1'],
    ['true', '203.0.113.5'],
    ['1', '10.0.0.2'],
    ['2', '203.0.113.5'],
    ['127.0.0.1', '10.0.0.2'],
    ['loopback, 10.0.0.0/8', '203.0.113.5'],
    ['10.9.9.9', '127.0.0.1'],
  ])('TRUST_PROXY=%s takes the client address %s from the chain', async (trust, expected) => {
    await withApp(trust, async (t) => expect(await clientAddress(t, CHAIN)).toBe(expected));
  });

  it('without it, a rotating X-Forwarded-For does not reset the throttle of one address', async () => {
    await withApp(undefined, async (t) => {
      for (let i = 1; i <= 5; i++) expect((await failLogin(t, 'target@example.com', `198.51.100.${i}`)).status).toBe(401);
      const sixth = await failLogin(t, 'target@example.com', '198.51.100.6');
      expect(sixth.status).toBe(429);
      // The per-address rule: a quarter of an hour, not the account's few seconds.
      expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    });
  });

  it('with it, each forwarded address is a client of its own (only the account’s short delay applies)', async () => {
    await withApp('true', async (t) => {
      for (let i = 1; i <= 5; i++) expect((await failLogin(t, 'target@example.com', `198.51.100.${i}`)).status).toBe(401);
      const sixth = await failLogin(t, 'target@example.com', '198.51.100.6');
      expect(sixth.status).toBe(429);
      expect(Number(sixth.headers.get('retry-after'))).toBeLessThanOrEqual(5);
    });
  });
});
