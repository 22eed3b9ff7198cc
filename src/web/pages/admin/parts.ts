import type { FastifyRequest } from 'fastify';
import { formatDate } from '../../../shared/format.ts';
import { html, type SafeHtml } from '../../html.ts';
import { readerOf } from '../../i18n-plugin.ts';
import { layout } from '../../layout.ts';

/** A refused form's message, by the id of the field it is about. */
export type FieldErrors = Record<string, string>;

/** What an admin page shows above its content: the outcome of the last action, or why it was refused. */
export interface Outcome {
  /** Done: shown in a `role=status` box. */
  notice?: string;
  /** Refused: shown at the field (and the field marked invalid). */
  errors?: FieldErrors;
}

/** The attributes of a field that may be refused: marked invalid and described by its message. */
export function fieldState(id: string, errors: FieldErrors | undefined, hintId?: string): SafeHtml {
  const error = errors?.[id];
  const described = [hintId, error ? `${id}-error` : undefined].filter(Boolean).join(' ');
  return html`id="${id}"${error ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}`;
}

/** A field's message, where the field is. */
export const fieldError = (id: string, errors: FieldErrors | undefined) =>
  errors?.[id] ? html`<span class="field-error" id="${id}-error" role="alert">${errors[id]}</span>` : '';

export const notice = (outcome: Outcome | undefined) => (outcome?.notice ? html`<p class="alert alert-success" role="status">${outcome.notice}</p>` : '');

/** A form that posts with the page's CSRF token. */
export const postForm = (request: FastifyRequest, action: string, content: SafeHtml, attributes: SafeHtml | string = '') =>
  html`<form method="post" action="${action}" ${attributes}><input type="hidden" name="csrf_token" value="${request.csrfToken}">${content}</form>`;

/** A date and time in the reader's language, as text. */
export const dateText = (request: FastifyRequest, date: Date | string) => formatDate(date, readerOf(request).locale, true);

/** A date and time in the reader's language, in a `<time>` element. */
export function when(request: FastifyRequest, date: Date | string | null, never = ''): SafeHtml | string {
  if (date === null) return never;
  const { locale } = readerOf(request);
  return html`<time datetime="${new Date(date).toISOString()}">${formatDate(date, locale, true)}</time>`;
}

/**
 * A table of rows under column headings (admin catalog keys), stacked into labelled cards on a
 * narrow screen (the rows' `data-label`s); the `empty` message instead when there are no rows.
 */
export function adminTable(request: FastifyRequest, options: { attributes: SafeHtml; columns: string[]; rows: SafeHtml[]; empty?: string }): SafeHtml {
  if (options.rows.length === 0 && options.empty !== undefined) return html`<p class="empty">${options.empty}</p>`;
  return html`<div class="table-wrap"><table class="admin-table" ${options.attributes}>
          <thead><tr>${options.columns.map((key) => html`<th scope="col">${request.t(`admin:${key}`)}</th>`)}</tr></thead>
          <tbody>${options.rows}</tbody>
        </table></div>`;
}

/** A labelled field: the control (given its id, invalid state and description), an optional hint, and its message. */
export function field(label: SafeHtml | string, id: string, errors: FieldErrors | undefined, control: (state: SafeHtml) => SafeHtml, hint?: string): SafeHtml {
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  return html`<label class="field">
            <span class="field-label">${label}</span>
            ${control(fieldState(id, errors, hintId))}
            ${hint === undefined ? '' : html`<span class="field-hint" id="${hintId}">${hint}</span>`}
            ${fieldError(id, errors)}
          </label>`;
}

/** An admin page: its heading, an outcome box, and the content. */
export const adminPage = (request: FastifyRequest, title: string, intro: string | null, outcome: Outcome | undefined, content: SafeHtml) =>
  layout(
    request,
    title,
    html`<div class="admin">
      <h1>${title}</h1>
      ${intro ? html`<p class="muted intro">${intro}</p>` : ''}
      ${notice(outcome)}
      ${content}
    </div>`,
  );

/** A page that shows a secret once (a new token, a webhook's signing secret), with how to keep it. */
export function secretPage(request: FastifyRequest, options: { title: string; label: string; secret: string; id: string; usage: string; back: string }): string {
  const { t } = request;
  return adminPage(
    request,
    options.title,
    null,
    undefined,
    html`<section class="card secret-card" aria-labelledby="${options.id}-label">
      <p class="alert alert-success" role="status" id="${options.id}-label">${options.label}</p>
      <pre class="secret"><code id="${options.id}">${options.secret}</code></pre>
      <p><strong>${t('admin:copyHint')}</strong></p>
      <p class="muted">${options.usage}</p>
      <p><a class="button" href="${options.back}">${t('admin:backTo')}</a></p>
    </section>`,
  );
}
