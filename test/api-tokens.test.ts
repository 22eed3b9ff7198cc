/**
 * API tokens against the running app: created and revoked with the CLI (on PostgreSQL, which the
 * CLI may use while the server runs), a read token lists but cannot write, a write token runs
 * the whole upload flow with no cookie and no CSRF token, and a wrong, revoked or disabled
 * user's token is refused at once. Only the token's hash is stored.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { disableUser } from '../src/auth/users.ts';
import { sha256 } from '../src/auth/tokens.ts';
import { main } from '../src/cli.ts';
import { apiClient, saveItem, uploadFile } from './api-flow.ts';
import { startTestApp, type TestApp } from './harness.ts';

describe('API tokens', { timeout: 120_000 }, () => {
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
    env = { DATA_DIR: t.dataDir, DATABASE_URL: t.config.databaseUrl!, LOG_LEVEL: 'silent' };
  });
  afterAll(() => t?.close());

  /** Runs `airlift <args>` in this process; its exit code and what it printed. */
  async function airlift(...args: string[]): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      return { code: await main(args, env), out: lines.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  /** A user (logged in once, so they exist) and a token of theirs made by the CLI. */
  async function tokenFor(scope: 'read' | 'write', email = `api-${scope}-${Math.random().toString(36).slice(2, 8)}@example.com`) {
    await t.login(email);
    const created = await airlift('token', 'create', '--email', email, '--name', `CMS ${scope}`, '--scope', scope);
    expect(created.code, created.out).toBe(0);
    const token = /^ {2}(alt_\S+)$/m.exec(created.out)![1]!;
    const id = Number(/API token (\d+)/.exec(created.out)![1]);
    return { email, token, id, call: apiClient(t.baseUrl, { authorization: `Bearer ${token}` }) };
  }

  const uploadCount = async () => Number((await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('a read token lists and reads, but every write is 403 insufficient_scope and writes nothing', async () => {
    const writer = await tokenFor('write');
    const item = await saveItem(writer.call, 'video');
    const reader = await tokenFor('read');
    const listed = await reader.call('GET', '/api/v1/videos');
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: { id: number }[] }).items.map((i) => i.id)).toContain(item.id);
    expect((await reader.call('GET', `/api/v1/videos/${item.id}`)).status).toBe(200);

    const before = await uploadCount();
    for (const [method, path, body] of [
      ['POST', '/api/v1/uploads', { filename: 'a.mp4', size: 1000, content_type: 'video/mp4', kind: 'video' }],
      ['PATCH', `/api/v1/videos/${item.id}`, { title: 'Changed' }],
      ['DELETE', `/api/v1/videos/${item.id}`, undefined],
    ] as const) {
      const refused = await reader.call(method, path, body);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(await refused.json()).toEqual({ error: { code: 'insufficient_scope', message: 'This API token has the read scope: it can only GET. Use a token with the write scope.' } });
    }
    expect(await uploadCount()).toBe(before);
    const kept = (await (await reader.call('GET', `/api/v1/videos/${item.id}`)).json()) as { title: string };
    expect(kept.title).toBe('A video');
  });

  it('a write token runs the whole upload flow, edit and delete with no cookie and no CSRF token, and gets no cookie', async () => {
    const { call } = await tokenFor('write');
    const uploadId = await uploadFile(call, 'video', 300 * 1024);
    const saved = await call('POST', '/api/v1/videos', { title: 'From the CMS', upload_id: uploadId });
    expect(saved.status).toBe(201);
    expect(saved.headers.getSetCookie()).toEqual([]);
    const item = (await saved.json()) as { id: number; size: number; title: string };
    expect(item).toMatchObject({ title: 'From the CMS', size: 300 * 1024 });
    const edited = await call('PATCH', `/api/v1/videos/${item.id}`, { title: 'Renamed' });
    expect(edited.status).toBe(200);
    expect(((await edited.json()) as { title: string }).title).toBe('Renamed');
    expect((await call('DELETE', `/api/v1/videos/${item.id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/videos/${item.id}`)).status).toBe(404);
  });

  it('a wrong or revoked token gets 401 at once, even with a valid session cookie beside it', async () => {
    const { token, id, call } = await tokenFor('write');
    expect((await call('GET', '/api/v1/videos')).status).toBe(200);
    const session = await t.login();
    for (const bad of [`${token.slice(0, -2)}xx`, 'alt_nothing', 'not-a-token']) {
      const refused = await t.request('GET', '/api/v1/videos', { session, headers: { authorization: `Bearer ${bad}` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await refused.json()).toEqual({ error: { code: 'invalid_token', message: 'The API token is wrong or has been revoked.' } });
    }
    const revoked = await airlift('token', 'revoke', String(id));
    expect(revoked).toEqual({ code: 0, out: `Revoked API token ${id} "CMS write".` });
    const after = await call('GET', '/api/v1/videos');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    const listed = await airlift('token', 'list');
    expect(listed.out).toMatch(new RegExp(`^${id} +alt_\\S{6}… +CMS write +write +\\S+ +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +\\d{4}-`, 'm'));
  });

  it("a disabled user's token stops at once", async () => {
    const { email, call } = await tokenFor('write');
    expect((await call('GET', '/api/v1/videos')).status).toBe(200);
    await disableUser(t.app.db, email);
    expect((await call('GET', '/api/v1/videos')).status).toBe(401);
  });

  it('keeps only the hash, and when the token was last used', async () => {
    const { token, id, call } = await tokenFor('read');
    const fresh = await t.app.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(fresh.last_used_at).toBeNull();
    expect((await call('GET', '/api/v1/photos')).status).toBe(200);
    const row = await t.app.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256(token));
    expect(Object.values(row).some((value) => String(value).includes(token.slice(12)))).toBe(false);
    expect(row.prefix).toBe(token.slice(0, 10));
    expect(Date.now() - row.last_used_at!.getTime()).toBeLessThan(30_000);
  });

  it('refuses a token for nobody, a bad scope, and a bearer token where only sessions go', async () => {
    expect(await airlift('token', 'create', '--email', 'nobody@example.com', '--name', 'x', '--scope', 'read')).toEqual({
      code: 1,
      out: 'airlift token: No user has the email nobody@example.com.',
    });
    const { email, token } = await tokenFor('write');
    expect(await airlift('token', 'create', '--email', email, '--name', 'x', '--scope', 'admin')).toEqual({ code: 1, out: 'airlift token: The scope must be read or write, not "admin".' });
    // The seed's endpoints and the pages take sessions only: a token there is no login.
    const seed = await t.request('GET', '/api/generate-presigned-url/?filename=a.mp4&type=video', { headers: { authorization: `Bearer ${token}` } });
    expect(seed.status).toBe(401);
  });
});
