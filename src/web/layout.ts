import type { FastifyRequest } from 'fastify';
import { LOCALES } from '../shared/i18n/index.ts';
import { adminNav } from './admin-nav.ts';
import { html, type SafeHtml } from './html.ts';
import { readerOf, urlInLocale } from './i18n-plugin.ts';

/** The page shell: header with navigation and the language switch, the page's content, the bundled script and styles. */
export function layout(request: FastifyRequest, title: string, content: SafeHtml): string {
  const { assets } = request.server;
  const { locale, t } = readerOf(request);
  const { user } = request;
  const path = request.url.split('?')[0];
  const current = (href: string) => (path === href ? html`aria-current="page"` : '');
  const nav = user
    ? html`<nav class="nav" aria-label="${t('common:nav.label')}">
        <a href="/" ${current('/')}>${t('common:nav.library')}</a>
        <a href="/videos/new" ${current('/videos/new')}>${t('common:nav.newVideo')}</a>
        <a href="/photos/new" ${current('/photos/new')}>${t('common:nav.newPhoto')}</a>
        <form method="post" action="/logout" class="inline">
          <input type="hidden" name="csrf_token" value="${request.csrfToken}">
          <button type="submit" class="link-button" title="${t('common:nav.logoutTitle', { email: user.email })}">${t('common:nav.logout')}</button>
        </form>
      </nav>`
    : '';
  const other = LOCALES.find((l) => l !== locale)!;
  const languageSwitch = html`<a class="lang-switch" href="${urlInLocale(request.url, other)}" hreflang="${other}" lang="${other}" aria-label="${t('common:lang.label')}: ${t('common:lang.switchTo')}">${t('common:lang.switchTo')}</a>`;
  return html`<!doctype html>
<html lang="${locale}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · Airlift</title>
  <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M8 2 15 14H1z' fill='%234f46e5'/%3E%3C/svg%3E">
  <link rel="stylesheet" href="${assets.style}">
  <script type="module" src="${assets.script}"></script>
</head>
<body>
  <header class="site-header">
    <a class="brand" href="/"><span class="brand-mark" aria-hidden="true">▲</span> Airlift</a>
    ${nav}
    ${languageSwitch}
    ${adminNav(request, path!)}
  </header>
  <main class="page">${content}</main>
</body>
</html>`.value;
}

/** A field's error, shown under the form. */
export const alertBox = (message: string | null | undefined) => (message ? html`<p class="alert alert-error" role="alert">${message}</p>` : '');
