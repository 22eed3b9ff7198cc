import type { FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH } from '../../../auth/passwords.ts';
import type { User } from '../../../db/schema.ts';
import { ROLES, type Role } from '../../../shared/roles.ts';
import { html } from '../../html.ts';
import { adminPage, adminTable, field, fieldError, fieldState, postForm, when, type Outcome } from './parts.ts';

/** What the create form keeps after a refusal (never the password). */
export interface NewUserInput {
  email: string;
  role: Role;
}

const roleOptions = (request: FastifyRequest, selected: Role) =>
  ROLES.map((role) => html`<option value="${role}" ${role === selected ? html`selected` : ''}>${request.t(`admin:role.${role}`)}</option>`);

function userRow(request: FastifyRequest, user: User, outcome: Outcome | undefined) {
  const { t } = request;
  const errors = outcome?.errors;
  const form = `user-${user.id}`;
  const you = user.id === request.user?.id;
  return html`<tr>
    <th scope="row" data-label="${t('admin:field.email')}">${user.email} ${you ? html`<span class="muted">${t('admin:users.you')}</span>` : ''}</th>
    <td data-label="${t('admin:field.role')}">
      <select name="role" form="${form}" ${fieldState(`role-${user.id}`, errors)} aria-label="${t('admin:field.role')} · ${user.email}">${roleOptions(request, user.role)}</select>
      ${fieldError(`role-${user.id}`, errors)}
    </td>
    <td data-label="${t('admin:users.state')}">
      <span class="check">
        <input type="checkbox" name="disabled" form="${form}" ${fieldState(`disabled-${user.id}`, errors)} ${user.disabled_at ? html`checked` : ''}>
        <label for="disabled-${user.id}">${t('admin:field.disabled')}<span class="sr-only"> · ${user.email}</span></label>
      </span>
      ${fieldError(`disabled-${user.id}`, errors)}
    </td>
    <td data-label="${t('admin:users.created')}">${when(request, user.created_at)}</td>
    <td data-label="${t('admin:table.actions')}" class="row-actions">
      ${postForm(request, `/admin/users/${user.id}`, html`<button type="submit" class="button button-small" aria-label="${t('admin:save')} · ${user.email}">${t('admin:save')}</button>`, html`id="${form}" class="inline"`)}
      <details class="reset" ${errors?.[`password-${user.id}`] ? html`open` : ''}>
        <summary>${t('admin:users.resetPassword')}</summary>
        ${postForm(
          request,
          `/admin/users/${user.id}/password`,
          html`${field(
            html`${t('admin:field.password')}<span class="sr-only"> · ${user.email}</span>`,
            `password-${user.id}`,
            errors,
            (state) => html`<input type="password" name="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" ${state}>`,
          )}
            <button type="submit" class="button button-small">${t('admin:users.resetSubmit')}</button>`,
          html`class="stack" novalidate`,
        )}
      </details>
    </td>
  </tr>`;
}

/** `/admin/users`: every user with their role and state, the forms to change them, and one to create a user. */
export function renderUsers(request: FastifyRequest, users: User[], outcome?: Outcome, input: NewUserInput = { email: '', role: 'editor' }): string {
  const { t } = request;
  const errors = outcome?.errors;
  return adminPage(
    request,
    t('admin:users.title'),
    t('admin:users.intro'),
    outcome,
    html`${adminTable(request, {
      attributes: html`id="users"`,
      columns: ['field.email', 'field.role', 'users.state', 'users.created', 'table.actions'],
      rows: users.map((user) => userRow(request, user, outcome)),
    })}
    <section class="card admin-form" aria-labelledby="new-user-heading">
      <h2 id="new-user-heading">${t('admin:users.create')}</h2>
      ${postForm(
        request,
        '/admin/users',
        html`${field(t('admin:field.email'), 'new-email', errors, (state) => html`<input type="email" name="email" autocomplete="off" required maxlength="254" value="${input.email}" ${state}>`)}
          ${field(
            t('admin:field.password'),
            'new-password',
            errors,
            (state) => html`<input type="password" name="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" ${state}>`,
            t('admin:users.passwordHint', { count: MIN_PASSWORD_LENGTH }),
          )}
          <label class="field">
            <span class="field-label">${t('admin:field.role')}</span>
            <select name="role" id="new-role">${roleOptions(request, input.role)}</select>
          </label>
          <button type="submit" class="button button-primary">${t('admin:users.createSubmit')}</button>`,
        html`class="stack" novalidate`,
      )}
    </section>`,
  );
}
