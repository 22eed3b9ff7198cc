import type { FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH } from '../../auth/passwords.ts';
import { html } from '../html.ts';
import { alertBox, layout } from '../layout.ts';

export function renderLogin(request: FastifyRequest, options: { email?: string; error?: string; next?: string; notice?: string }): string {
  return layout(
    request,
    request.t('common:login.title'),
    html`<section class="card narrow">
      <h1>${request.t('common:login.title')}</h1>
      ${options.notice ? html`<p class="alert alert-success" role="status">${options.notice}</p>` : ''}
      ${alertBox(options.error)}
      <form method="post" action="/login" class="stack">
        <input type="hidden" name="csrf_token" value="${request.csrfToken}">
        <input type="hidden" name="next" value="${options.next ?? '/'}">
        <label class="field">
          <span class="field-label">${request.t('common:login.email')}</span>
          <input type="email" name="email" autocomplete="username" required value="${options.email ?? ''}" autofocus>
        </label>
        <label class="field">
          <span class="field-label">${request.t('common:login.password')}</span>
          <input type="password" name="password" autocomplete="current-password" required>
        </label>
        <button type="submit" class="button button-primary">${request.t('common:login.submit')}</button>
      </form>
    </section>`,
  );
}

export function renderSetup(request: FastifyRequest, options: { token: string; email?: string; error?: string }): string {
  return layout(
    request,
    request.t('common:setup.title'),
    html`<section class="card narrow">
      <h1>${request.t('common:setup.heading')}</h1>
      <p class="muted">${request.t('common:setup.intro')}</p>
      ${alertBox(options.error)}
      <form method="post" action="/setup/${options.token}" class="stack">
        <input type="hidden" name="csrf_token" value="${request.csrfToken}">
        <label class="field">
          <span class="field-label">${request.t('common:login.email')}</span>
          <input type="email" name="email" autocomplete="username" required value="${options.email ?? ''}" autofocus>
        </label>
        <label class="field">
          <span class="field-label">${request.t('common:login.password')}</span>
          <input type="password" name="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}">
          <span class="field-hint">${request.t('common:setup.passwordHint', { count: MIN_PASSWORD_LENGTH })}</span>
        </label>
        <button type="submit" class="button button-primary">${request.t('common:setup.submit')}</button>
      </form>
    </section>`,
  );
}
