import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.ts';
import { setCookies } from './login.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const page = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${t.baseUrl}${path}`, { headers: { accept: 'text/html', ...headers }, redirect: 'manual' });
  return { response, body: await response.text() };
};

describe('languages', () => {
  it('speaks English without a choice or a language the browser asks for', async () => {
    const { body } = await page('/login', { 'accept-language': 'de-DE,de;q=0.9' });
    expect(body).toContain('<html lang="en">');
    expect(body).toContain('<h1>Log in</h1>');
    expect(body).toMatch(/<a class="lang-switch" href="\/login\?lang=fr" hreflang="fr" lang="fr"[^>]*>Français<\/a>/);
  });

  it('follows Accept-Language', async () => {
    const { response, body } = await page('/login', { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8' });
    expect(body).toContain('<html lang="fr">');
    expect(body).toContain('<h1>Connexion</h1>');
    expect(body).toContain('<span class="field-label">Mot de passe</span>');
    expect(setCookies(response).lang).toBeUndefined();
  });

  it('keeps ?lang= in the lang cookie, which then wins over Accept-Language', async () => {
    const chosen = await page('/login?lang=fr', { 'accept-language': 'en' });
    expect(chosen.body).toContain('<html lang="fr">');
    expect(chosen.response.headers.get('set-cookie')).toMatch(/(^|, )lang=fr; Max-Age=31536000; Path=\/; SameSite=Lax/);
    const { body } = await page('/login', { 'accept-language': 'en', cookie: 'lang=fr' });
    expect(body).toContain('<h1>Connexion</h1>');
    expect(body).toContain('href="/login?lang=en"');
  });

  it('ignores a lang value it does not speak', async () => {
    const { response, body } = await page('/login?lang=xx', { cookie: 'lang=../../etc' });
    expect(response.status).toBe(200);
    expect(body).toContain('<html lang="en">');
    expect(response.headers.get('set-cookie') ?? '').not.toMatch(/lang=/);
  });

  it('shows the error page in the reader’s language, the API error keeps its code', async () => {
    const missing = await page('/no-such-page', { cookie: 'lang=fr' });
    expect(missing.response.status).toBe(404);
    expect(missing.body).toContain('<h1>Page introuvable</h1>');
    expect(missing.body).toContain('Retour à la médiathèque');
    const api = await fetch(`${t.baseUrl}/api/v1/videos`, { headers: { cookie: 'lang=fr' } });
    expect(api.status).toBe(401);
    expect((await api.json()).error.code).toBe('unauthorized');
  });

  it('says why a setup link is spent in the reader’s language, with the command to run', async () => {
    const spent = await page('/setup/not-a-token', { cookie: 'lang=fr' });
    expect(spent.response.status).toBe(404);
    expect(spent.body).toContain('Ce lien d’installation n’est plus valable');
    expect(spent.body).toContain('npx airlift user create --email you@example.com --admin --password-stdin');
    const english = await page('/setup/not-a-token', { cookie: 'lang=en' });
    expect(english.body).toContain('This setup link is not valid any more');
  });
});
