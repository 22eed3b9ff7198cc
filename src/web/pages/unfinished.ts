import type { FastifyRequest } from 'fastify';
import type { MediaKind } from '../../shared/media-kind.ts';
import { html } from '../html.ts';

/** The message with its `{{placeholders}}` kept, for the page's script to fill with the upload's figures. */
const PLACEHOLDERS = Object.fromEntries(['filename', 'stored', 'total', 'date'].map((name) => [name, `{{${name}}}`]));

/**
 * The notice of unfinished uploads of `kind`, hidden until the page's script finds one in the
 * browser's storage that the server still holds (src/client/unfinished-notice.ts).
 */
export function unfinishedNotice(request: FastifyRequest, kind: MediaKind, inputId: string) {
  const t = (key: string) => request.t(`unfinished:${key}`, PLACEHOLDERS);
  return html`<section id="unfinishedUploads" class="notice" hidden aria-labelledby="unfinishedHeading"
    data-kind="${kind}" data-input="${inputId}" data-line="${t('line')}" data-continuing="${t('continuing')}"
    data-discarded="${t('discarded')}" data-failed="${t('failed')}">
    <h2 id="unfinishedHeading">${t('heading')}</h2>
    <p>${t('intro')}</p>
    <ul class="unfinished-list"></ul>
    <template><li><p class="unfinished-line"></p><p class="unfinished-chosen muted" aria-live="polite"></p>
      <div class="unfinished-actions">
        <button type="button" class="button button-small" data-action="choose">${t('choose')}</button>
        <button type="button" class="button button-small button-danger" data-action="discard">${t('discard')}</button>
      </div></li></template>
    <p role="status" aria-live="polite"></p>
  </section>`;
}
