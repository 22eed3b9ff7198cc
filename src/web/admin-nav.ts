import type { FastifyRequest } from 'fastify';
import { isAdmin } from '../auth/roles.ts';
import { html } from './html.ts';
import { readerOf } from './i18n-plugin.ts';

const LINKS = [
  ['/admin/users', 'admin:nav.users'],
  ['/admin/tokens', 'admin:nav.tokens'],
  ['/admin/webhooks', 'admin:nav.webhooks'],
  ['/status', 'admin:nav.status'],
] as const;

/** The admins' own row of the header: their pages, the current one (or the one it belongs to) marked. */
export function adminNav(request: FastifyRequest, path: string) {
  if (!isAdmin(request.user)) return '';
  const { t } = readerOf(request);
  const current = (href: string) => (path === href || path.startsWith(`${href}/`) ? html` aria-current="page"` : '');
  return html`<nav class="nav nav-admin" aria-label="${t('admin:nav.label')}">
      ${LINKS.map(([href, key]) => html`<a href="${href}"${current(href)}>${t(key)}</a>`)}
    </nav>`;
}
