import type { FastifyRequest } from 'fastify';
import type { MediaKind } from '../../shared/media-kind.ts';
import { formatSize } from '../../shared/format.ts';
import type { Translate } from '../../shared/i18n/index.ts';
import { html } from '../html.ts';
import { readerOf } from '../i18n-plugin.ts';
import { layout } from '../layout.ts';
import { unfinishedNotice } from './unfinished.ts';

/** The seed's progress area, with its element ids, plus pause, resume and cancel. */
const progressArea = (t: Translate) => html`<div id="uploadProgress" class="progress hidden">
  <div class="progress-head">
    <span id="progressStatus">${t('upload:status.preparing')}</span>
    <span id="progressText">0%</span>
  </div>
  <div class="progress-track">
    <div id="progressBar" class="progress-bar" role="progressbar" aria-label="${t('upload:progress.label')}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"></div>
  </div>
  <div class="progress-foot">
    <span id="progressSpeed"></span>
    <span id="progressTimeRemaining">--</span>
  </div>
  <div class="progress-details" id="progressDetails"></div>
  <ul id="progressFiles" class="progress-files" aria-label="${t('upload:progress.files')}"></ul>
  <div class="progress-actions">
    <button type="button" id="pauseButton" class="button button-small" hidden>${t('upload:button.pause')}</button>
    <button type="button" id="resumeButton" class="button button-small" hidden>${t('upload:button.resume')}</button>
    <button type="button" id="cancelButton" class="button button-small button-danger" hidden>${t('upload:button.cancel')}</button>
  </div>
</div>
<div id="uploadResult" class="result" role="status" aria-live="polite"></div>`;

/** A file input of a form, and the upload kind it sends. */
interface Dropzone {
  id: string;
  name: string;
  kind: MediaKind;
  /** Catalog keys of its label and its hint (`{{size}}`: the kind's limit). */
  label: string;
  hint: string;
  required: boolean;
  multiple?: boolean;
}

function dropzone(request: FastifyRequest, options: Dropzone) {
  const { config } = request.server;
  const { locale, t } = readerOf(request);
  const types = config.allowedTypes[options.kind];
  return html`<div class="field">
    <span class="field-label" id="${options.id}Label">${t(options.label)}</span>
    <label class="dropzone" data-for="${options.id}">
      <input type="file" name="${options.name}" id="${options.id}" class="sr-only" accept="${types.join(',')}"
        data-max-size="${config.maxSize[options.kind]}" aria-labelledby="${options.id}Label" aria-describedby="${options.id}Hint"
        ${options.required ? html`required` : ''} ${options.multiple ? html`multiple` : ''}>
      <span class="dropzone-icon" aria-hidden="true">⇪</span>
      <span class="dropzone-text"><strong>${t(options.multiple ? 'upload:zone.choosePhotos' : 'upload:zone.choose')}</strong> ${t(options.multiple ? 'upload:zone.dragPhotosHere' : 'upload:zone.dragHere')}</span>
      <span class="dropzone-hint" id="${options.id}Hint">${t(options.hint, { size: formatSize(config.maxSize[options.kind], locale) })}</span>
      <span class="dropzone-file"></span>
    </label>
  </div>`;
}

/** The title and description; photos sent without a title are named after their files. */
const textFields = (t: Translate, noun: 'video' | 'photo') => html`<label class="field">
    <span class="field-label">${t('upload:field.title')}${noun === 'photo' ? html` <span class="muted">${t('upload:field.optional')}</span>` : ''}</span>
    <input type="text" name="title" maxlength="255" ${noun === 'video' ? html`required` : html`aria-describedby="titleHint"`}>
    ${noun === 'photo' ? html`<span class="field-hint muted" id="titleHint">${t('upload:field.photoTitleHint')}</span>` : ''}
  </label>
  <label class="field">
    <span class="field-label">${t('upload:field.description')} <span class="muted">${t('upload:field.optional')}</span></span>
    <textarea name="description" rows="3" maxlength="10000"></textarea>
  </label>`;

/** Each form's files, in the order they are sent (the small cover first); the ids and names are the seed's. */
const DROPZONES: Record<'video' | 'photo', Dropzone[]> = {
  video: [
    { id: 'coverFileInput', name: 'cover_film', kind: 'cover', label: 'upload:zone.cover', hint: 'upload:zone.coverHint', required: false },
    { id: 'videoFileInput', name: 'video', kind: 'video', label: 'upload:zone.video', hint: 'upload:zone.videoHint', required: true },
  ],
  photo: [{ id: 'photoFileInput', name: 'image', kind: 'photo', label: 'upload:zone.photo', hint: 'upload:zone.photoHint', required: true, multiple: true }],
};

/** `/videos/new`, `/photos/new`: the text fields, the drop zones and the seed's progress area. */
export function renderUploadForm(request: FastifyRequest, noun: 'video' | 'photo'): string {
  const { t } = readerOf(request);
  return layout(
    request,
    t(`upload:page.${noun}`),
    html`<section class="card">
      <h1>${t(`upload:heading.${noun}`)}</h1>
      ${unfinishedNotice(request, noun, DROPZONES[noun].at(-1)!.id)}
      <form id="${noun}Form" data-upload-form="${noun}" class="stack" novalidate>
        ${textFields(t, noun)}
        ${DROPZONES[noun].map((zone) => dropzone(request, zone))}
        ${progressArea(t)}
        <button type="submit" class="button button-primary">${t(`upload:submit.${noun}`)}</button>
      </form>
    </section>`,
  );
}
