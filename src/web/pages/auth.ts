import type { FastifyRequest } from 'fastify';
import { MIN_PASSWORD_LENGTH } from '../../auth/passwords.ts';
import { html } from '../html.ts';
import { alertBox, layout } from '../layout.ts';

export function renderLogin(request: FastifyRequest, options: { email?: string; error?: string; next?: string; notice?: string }): string {
  return layout(
    request,
    'Log in',
    html`<section class="card narrow">
      <h1>Log in</h1>
      ${options.notice ? html`<p class="alert alert-success" role="status">${options.notice}</p>` : ''}
      ${alertBox(options.error)}
      <form method="post" action="/login" class="stack">
        <input type="hidden" name="csrf_token" value="${request.csrfToken}">
        <input type="hidden" name="next" value="${options.next ?? '/'}">
        <label class="field">
          <span class="field-label">Email</span>
          <input type="email" name="email" autocomplete="username" required value="${options.email ?? ''}" autofocus>
        </label>
        <label class="field">
          <span class="field-label">Password</span>
          <input type="password" name="password" autocomplete="current-password" required>
        </label>
        <button type="submit" class="button button-primary">Log in</button>
      </form>
    </section>`,
  );
}

export function renderSetup(request: FastifyRequest, options: { token: string; email?: string; error?: string }): string {
  return layout(
    request,
    'Create the first admin',
    html`<section class="card narrow">
      <h1>Welcome to Airlift</h1>
      <p class="muted">Create the first administrator account. This link works once.</p>
      ${alertBox(options.error)}
      <form method="post" action="/setup/${options.token}" class="stack">
        <input type="hidden" name="csrf_token" value="${request.csrfToken}">
        <label class="field">
          <span class="field-label">Email</span>
          <input type="email" name="email" autocomplete="username" required value="${options.email ?? ''}" autofocus>
        </label>
        <label class="field">
          <span class="field-label">Password</span>
          <input type="password" name="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}">
          <span class="field-hint">At least ${MIN_PASSWORD_LENGTH} characters.</span>
        </label>
        <button type="submit" class="button button-primary">Create the admin account</button>
      </form>
    </section>`,
  );
}
