import type { FastifyRequest } from 'fastify';
import type { WebhookAttemptsTable, WebhookEndpoint } from '../../../db/schema.ts';
import type { Endpoint, ListedEndpoint, LoggedDelivery } from '../../../webhooks/endpoints.ts';
import { WEBHOOK_EVENTS } from '../../../webhooks/events.ts';
import { html } from '../../html.ts';
import { adminPage, adminTable, dateText, field, fieldError, fieldState, postForm, secretPage, when, type Outcome } from './parts.ts';

type Attempt = Pick<WebhookAttemptsTable, 'attempt' | 'status_code' | 'error' | 'duration_ms'> & { at: Date };

/** What the add form keeps after a refusal. */
export interface NewEndpointInput {
  url: string;
  events: string[];
}

const endpointState = (request: FastifyRequest, endpoint: Endpoint) =>
  endpoint.failing_since
    ? html`<span class="badge badge-off">${request.t('admin:webhooks.failingSince', { date: dateText(request, endpoint.failing_since) })}</span>`
    : html`<span class="badge badge-on">${request.t('admin:webhooks.ok')}</span>`;

function endpointRow(request: FastifyRequest, endpoint: ListedEndpoint) {
  const { t } = request;
  return html`<tr>
    <th scope="row" data-label="${t('admin:webhooks.url')}" class="url">${endpoint.url}</th>
    <td data-label="${t('admin:webhooks.events')}">${endpoint.events ? endpoint.events.map((e) => html`<code>${e}</code> `) : t('admin:webhooks.allEvents')}</td>
    <td data-label="${t('admin:webhooks.state')}">${endpointState(request, endpoint)}<br><span class="muted small">${t('admin:webhooks.counts', endpoint)}</span></td>
    <td data-label="${t('admin:table.actions')}" class="row-actions">
      <a class="button button-small" href="/admin/webhooks/${endpoint.id}">${t('admin:webhooks.log')}</a>
      ${postForm(request, `/admin/webhooks/${endpoint.id}/remove`, html`<button type="submit" class="button button-small button-danger" aria-label="${t('admin:webhooks.removeLabel', { url: endpoint.url })}">${t('admin:webhooks.remove')}</button>`, html`class="inline"`)}
    </td>
  </tr>`;
}

/** `/admin/webhooks`: the endpoints, whether each is failing, and the form to add one. */
export function renderWebhooks(request: FastifyRequest, endpoints: ListedEndpoint[], outcome?: Outcome, input: NewEndpointInput = { url: '', events: [] }): string {
  const { t } = request;
  const errors = outcome?.errors;
  return adminPage(
    request,
    t('admin:webhooks.title'),
    t('admin:webhooks.intro'),
    outcome,
    html`${adminTable(request, {
      attributes: html`id="endpoints"`,
      columns: ['webhooks.url', 'webhooks.events', 'webhooks.state', 'table.actions'],
      rows: endpoints.map((endpoint) => endpointRow(request, endpoint)),
      empty: t('admin:webhooks.none'),
    })}
    <section class="card admin-form" aria-labelledby="new-webhook-heading">
      <h2 id="new-webhook-heading">${t('admin:webhooks.add')}</h2>
      ${postForm(
        request,
        '/admin/webhooks',
        html`${field(
            t('admin:webhooks.url'),
            'webhook-url',
            errors,
            (state) => html`<input type="url" name="url" required maxlength="2000" placeholder="https://example.com/hooks/airlift" value="${input.url}" ${state}>`,
            t('admin:webhooks.urlHint'),
          )}
          <fieldset class="field events" ${fieldState('webhook-events', errors, 'webhook-events-hint')}>
            <legend class="field-label">${t('admin:webhooks.events')}</legend>
            <span class="field-hint" id="webhook-events-hint">${t('admin:webhooks.eventsHint')}</span>
            <span class="checks">${WEBHOOK_EVENTS.map(
              (event) => html`<span class="check"><input type="checkbox" name="events" value="${event}" id="event-${event}" ${input.events.includes(event) ? html`checked` : ''}><label for="event-${event}"><code>${event}</code></label></span>`,
            )}</span>
            ${fieldError('webhook-events', errors)}
          </fieldset>
          <button type="submit" class="button button-primary">${t('admin:webhooks.addSubmit')}</button>`,
        html`class="stack" novalidate`,
      )}
    </section>`,
  );
}

/** The new endpoint's signing secret, once. */
export function renderNewEndpoint(request: FastifyRequest, endpoint: WebhookEndpoint): string {
  const { t } = request;
  return secretPage(request, {
    title: t('admin:webhooks.addedTitle'),
    label: t('admin:webhooks.secret', { url: endpoint.url }),
    secret: endpoint.secret,
    id: 'new-secret',
    usage: t('admin:webhooks.secretUsage'),
    back: `/admin/webhooks/${endpoint.id}`,
  });
}

function answer(request: FastifyRequest, status: number | null, error: string | null) {
  if (status !== null) return html`<code>${status}</code>`;
  return error ? html`<span lang="en">${error}</span>` : request.t('admin:deliveries.noAnswer');
}

function deliveryRow(request: FastifyRequest, endpointId: number, delivery: LoggedDelivery, attempts: Attempt[]) {
  const { t } = request;
  return html`<tr>
    <th scope="row" data-label="${t('admin:deliveries.event')}"><code>${delivery.event_type}</code><br><span class="muted small">${delivery.subject}</span></th>
    <td data-label="${t('admin:deliveries.id')}"><code class="message-id">${delivery.message_id}</code></td>
    <td data-label="${t('admin:deliveries.time')}">${when(request, delivery.created_at)}</td>
    <td data-label="${t('admin:deliveries.state')}"><span class="badge ${delivery.state === 'delivered' ? 'badge-on' : delivery.state === 'given_up' ? 'badge-off' : ''}">${t(`admin:deliveries.state.${delivery.state}`)}</span></td>
    <td data-label="${t('admin:deliveries.attempts')}">${delivery.attempts}
      ${attempts.length
        ? html`<details><summary>${t('admin:deliveries.attemptsOf')}</summary><ol class="attempts">${attempts.map(
            (a) => html`<li>${t('admin:deliveries.attempt', { attempt: a.attempt, time: dateText(request, a.at), ms: a.duration_ms })} ${answer(request, a.status_code, a.error)}</li>`,
          )}</ol></details>`
        : ''}
    </td>
    <td data-label="${t('admin:deliveries.response')}">${answer(request, delivery.last_status, delivery.last_error)}</td>
    <td data-label="${t('admin:table.actions')}" class="row-actions">
      ${postForm(
        request,
        `/admin/webhooks/${endpointId}/deliveries/${delivery.id}/resend`,
        html`<button type="submit" class="button button-small" aria-label="${t('admin:deliveries.resendLabel', { event: delivery.event_type, id: delivery.message_id })}">${t('admin:deliveries.resend')}</button>`,
        html`class="inline"`,
      )}
    </td>
  </tr>`;
}

/** `/admin/webhooks/:id`: the endpoint's latest deliveries, each attempt, and "send again". */
export function renderDeliveryLog(request: FastifyRequest, endpoint: Endpoint, log: { delivery: LoggedDelivery; attempts: Attempt[] }[], outcome?: Outcome): string {
  const { t } = request;
  return adminPage(
    request,
    t('admin:webhooks.log'),
    null,
    outcome,
    html`<p class="url"><strong>${endpoint.url}</strong> · ${endpointState(request, endpoint)}</p>
    ${adminTable(request, {
      attributes: html`id="deliveries" aria-label="${t('admin:webhooks.logOf', { url: endpoint.url })}"`,
      columns: ['deliveries.event', 'deliveries.id', 'deliveries.time', 'deliveries.state', 'deliveries.attempts', 'deliveries.response', 'table.actions'],
      rows: log.map(({ delivery, attempts }) => deliveryRow(request, endpoint.id, delivery, attempts)),
      empty: t('admin:deliveries.none'),
    })}
    <p><a class="button" href="/admin/webhooks">${t('admin:backTo')}</a></p>`,
  );
}
