import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from './html.ts';

/** The page shell: header with navigation, the page's content, the bundled script and styles. */
export function layout(request: FastifyRequest, title: string, content: SafeHtml): string {
  const { assets } = request.server;
  const user = request.user;
  const nav = user
    ? html`<nav class="nav" aria-label="Main">
        <a href="/" ${request.url === '/' ? html`aria-current="page"` : ''}>Library</a>
        <a href="/videos/new" ${request.url === '/videos/new' ? html`aria-current="page"` : ''}>New video</a>
        <a href="/photos/new" ${request.url === '/photos/new' ? html`aria-current="page"` : ''}>New photo</a>
        <form method="post" action="/logout" class="inline">
          <input type="hidden" name="csrf_token" value="${request.csrfToken}">
          <button type="submit" class="link-button" title="Log out ${user.email}">Log out</button>
        </form>
      </nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
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
  </header>
  <main class="page">${content}</main>
</body>
</html>`.value;
}

/** A field's error, shown under the form. */
export const alertBox = (message: string | null | undefined) => (message ? html`<p class="alert alert-error" role="alert">${message}</p>` : '');
