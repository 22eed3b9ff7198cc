import type { FastifyRequest } from 'fastify';
import type { ListedToken } from '../../../auth/api-tokens.ts';
import type { TokenScope, User } from '../../../db/schema.ts';
import { html } from '../../html.ts';
import { adminPage, adminTable, dateText, field, postForm, secretPage, when, type Outcome } from './parts.ts';

const SCOPES: TokenScope[] = ['read', 'write'];

/** What the create form keeps after a refusal. */
export interface NewTokenInput {
  name: string;
  owner: number;
  scope: TokenScope;
}

function tokenRow(request: FastifyRequest, token: ListedToken) {
  const { t } = request;
  return html`<tr>
    <th scope="row" data-label="${t('admin:tokens.name')}">${token.name}</th>
    <td data-label="${t('admin:tokens.owner')}">${token.email}</td>
    <td data-label="${t('admin:tokens.scope')}">${t(`admin:tokens.scope.${token.scope}`)}</td>
    <td data-label="${t('admin:tokens.starts')}"><code>${token.prefix}…</code></td>
    <td data-label="${t('admin:tokens.created')}">${when(request, token.created_at)}</td>
    <td data-label="${t('admin:tokens.lastUsed')}">${when(request, token.last_used_at, t('admin:never'))}</td>
    <td data-label="${t('admin:tokens.state')}">${token.revoked_at ? html`<span class="badge badge-off">${t('admin:tokens.revokedOn', { date: dateText(request, token.revoked_at) })}</span>` : html`<span class="badge badge-on">${t('admin:tokens.active')}</span>`}</td>
    <td data-label="${t('admin:table.actions')}" class="row-actions">
      ${token.revoked_at ? '' : postForm(request, `/admin/tokens/${token.id}/revoke`, html`<button type="submit" class="button button-small button-danger" aria-label="${t('admin:tokens.revokeLabel', { name: token.name })}">${t('admin:tokens.revoke')}</button>`, html`class="inline"`)}
    </td>
  </tr>`;
}

/** `/admin/tokens`: every API token (revoked ones marked), a revoke button on each, and the form to create one. */
export function renderTokens(request: FastifyRequest, tokens: ListedToken[], owners: User[], outcome?: Outcome, input?: NewTokenInput): string {
  const { t } = request;
  const errors = outcome?.errors;
  const chosen = input ?? { name: '', owner: request.user!.id, scope: 'read' };
  return adminPage(
    request,
    t('admin:tokens.title'),
    t('admin:tokens.intro'),
    outcome,
    html`${adminTable(request, {
      attributes: html`id="tokens"`,
      columns: ['tokens.name', 'tokens.owner', 'tokens.scope', 'tokens.starts', 'tokens.created', 'tokens.lastUsed', 'tokens.state', 'table.actions'],
      rows: tokens.map((token) => tokenRow(request, token)),
      empty: t('admin:tokens.none'),
    })}
    <section class="card admin-form" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">${t('admin:tokens.create')}</h2>
      ${postForm(
        request,
        '/admin/tokens',
        html`${field(t('admin:tokens.name'), 'token-name', errors, (state) => html`<input type="text" name="name" required maxlength="100" value="${chosen.name}" ${state}>`, t('admin:tokens.nameHint'))}
          ${field(t('admin:tokens.owner'), 'token-owner', errors, (state) => html`<select name="owner" ${state}>${owners.map((user) => html`<option value="${user.id}" ${user.id === chosen.owner ? html`selected` : ''}>${user.email}</option>`)}</select>`)}
          ${field(t('admin:tokens.scope'), 'token-scope', errors, (state) => html`<select name="scope" ${state}>${SCOPES.map((scope) => html`<option value="${scope}" ${scope === chosen.scope ? html`selected` : ''}>${t(`admin:tokens.scope.${scope}`)}</option>`)}</select>`)}
          <button type="submit" class="button button-primary">${t('admin:tokens.createSubmit')}</button>`,
        html`class="stack" novalidate`,
      )}
    </section>`,
  );
}

/** The new token, once. */
export function renderNewToken(request: FastifyRequest, token: string, row: { name: string; scope: TokenScope }, owner: string): string {
  const { t } = request;
  return secretPage(request, {
    title: t('admin:tokens.createdTitle'),
    label: t('admin:tokens.yourToken', { name: row.name, scope: t(`admin:tokens.scope.${row.scope}`), email: owner }),
    secret: token,
    id: 'new-token',
    usage: t('admin:tokens.usage'),
    back: '/admin/tokens',
  });
}
