import type { FastifyRequest } from 'fastify';
import { STATUS_KINDS, type CheckVerdict, type StatusView } from '../../../shared/admin-api.ts';
import { formatInteger, formatSize } from '../../../shared/format.ts';
import { errorMessage } from '../../../shared/i18n/error-message.ts';
import { html } from '../../html.ts';
import { readerOf } from '../../i18n-plugin.ts';
import { adminPage, adminTable, postForm, when } from './parts.ts';

function totals(request: FastifyRequest, status: StatusView) {
  const { t, locale } = readerOf(request);
  const all = STATUS_KINDS.reduce((sum, kind) => ({ count: sum.count + status.totals[kind].count, bytes: sum.bytes + status.totals[kind].bytes }), { count: 0, bytes: 0 });
  const row = (label: string, id: string, figures: { count: number; bytes: number }) =>
    html`<tr id="total-${id}">
      <th scope="row">${label}</th>
      <td class="number" data-label="${t('admin:status.objects')}">${formatInteger(figures.count, locale)}</td>
      <td class="number" data-label="${t('admin:status.size')}">${formatSize(figures.bytes, locale)}</td>
      <td class="number" data-label="${t('admin:status.bytes')}">${formatInteger(figures.bytes, locale)}</td>
    </tr>`;
  return html`<table class="admin-table figures" id="totals">
    <caption>${t('admin:status.saved')}</caption>
    <thead><tr><th scope="col">${t('admin:status.kind')}</th><th scope="col" class="number">${t('admin:status.objects')}</th><th scope="col" class="number">${t('admin:status.size')}</th><th scope="col" class="number">${t('admin:status.bytes')}</th></tr></thead>
    <tbody>${STATUS_KINDS.map((kind) => row(t(`admin:status.kind.${kind}`), kind, status.totals[kind]))}</tbody>
    <tfoot>${row(t('admin:status.total'), 'all', all)}</tfoot>
  </table>`;
}

function failures(request: FastifyRequest, status: StatusView) {
  const { t, locale } = readerOf(request);
  // The reason in the reader's language, and the server's own words beside it when they differ.
  const reason = (failure: { code: string; message: string }) => {
    const said = errorMessage(locale, failure);
    return said === failure.message ? said : html`${said} <span class="muted" lang="en">(${failure.message})</span>`;
  };
  return adminTable(request, {
    attributes: html`id="failures"`,
    columns: ['status.failure.time', 'status.kind', 'status.failure.file', 'status.failure.reason'],
    rows: status.recent_failures.map(
      (f) => html`<tr>
        <td data-label="${t('admin:status.failure.time')}">${when(request, f.at)}</td>
        <td data-label="${t('admin:status.kind')}">${t(`admin:status.kind.${f.kind}`)}</td>
        <th scope="row" data-label="${t('admin:status.failure.file')}" class="url">${f.filename}</th>
        <td data-label="${t('admin:status.failure.reason')}"><code>${f.code}</code> ${reason(f)}</td>
      </tr>`,
    ),
    empty: t('admin:status.noFailures'),
  });
}

function verdictList(request: FastifyRequest, verdicts: CheckVerdict[]) {
  const { t } = request;
  const failed = verdicts.filter((v) => v.status === 'fail').length;
  return html`<p class="alert ${failed ? 'alert-error' : 'alert-success'}" role="status">${t('admin:status.checksDone', { count: verdicts.length, failed })}</p>
    <ol class="verdicts" id="verdicts">${verdicts.map(
      (v) => html`<li class="verdict verdict-${v.status}" data-status="${v.status}">
        <span class="badge ${v.status === 'pass' ? 'badge-on' : v.status === 'fail' ? 'badge-off' : ''}">${t(`admin:status.verdict.${v.status}`)}</span>
        <strong lang="en">${v.check}</strong> <span lang="en">${v.message}</span>
      </li>`,
    )}</ol>`;
}

/** `/status`: what the library holds per kind, the uploads of the last day, recent failures, and the doctor's checks (with their verdicts once run). */
export function renderStatus(request: FastifyRequest, status: StatusView, verdicts?: CheckVerdict[]): string {
  const { t } = request;
  const storage = status.storage.driver === 's3' ? t('admin:status.driver.s3', { bucket: status.storage.bucket }) : t('admin:status.driver.local');
  return adminPage(
    request,
    t('admin:status.title'),
    null,
    undefined,
    html`<p><strong>${t('admin:status.storage')}</strong> · ${storage}</p>
    <div class="table-wrap">${totals(request, status)}</div>
    <h2>${t('admin:status.uploads')}</h2>
    <dl class="stats" id="uploads">
      <div><dt>${t('admin:status.inProgress')}</dt><dd id="uploads-in-progress">${status.uploads.in_progress}</dd></div>
      <div><dt>${t('admin:status.completed24h')}</dt><dd id="uploads-completed">${status.uploads.completed_24h}</dd></div>
      <div><dt>${t('admin:status.failed24h')}</dt><dd id="uploads-failed">${status.uploads.failed_24h}</dd></div>
    </dl>
    <h2>${t('admin:status.failures')}</h2>
    ${failures(request, status)}
    <section aria-labelledby="checks-heading">
      <h2 id="checks-heading">${t('admin:status.checks')}</h2>
      <p class="muted">${t('admin:status.checksIntro')}</p>
      ${postForm(request, '/status/checks', html`<button type="submit" class="button button-primary">${t('admin:status.runChecks')}</button>`)}
      ${verdicts ? verdictList(request, verdicts) : ''}
    </section>`,
  );
}
