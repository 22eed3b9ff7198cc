import type { FastifyRequest } from 'fastify';
import type { MediaKind } from '../../shared/media-kind.ts';
import { formatSize } from '../../shared/format.ts';
import { html } from '../html.ts';
import { layout } from '../layout.ts';
import { unfinishedNotice } from './unfinished.ts';

/** The seed's progress area, with its element ids, plus pause, resume and cancel. */
const progressArea = html`<div id="uploadProgress" class="progress hidden">
  <div class="progress-head">
    <span id="progressStatus">Initialisation...</span>
    <span id="progressText">0%</span>
  </div>
  <div class="progress-track">
    <div id="progressBar" class="progress-bar" role="progressbar" aria-label="Upload progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"></div>
  </div>
  <div class="progress-foot">
    <span id="progressSpeed">0 MB/s</span>
    <span id="progressTimeRemaining">--</span>
  </div>
  <div class="progress-details" id="progressDetails"></div>
  <ul id="progressFiles" class="progress-files" aria-label="Files"></ul>
  <div class="progress-actions">
    <button type="button" id="pauseButton" class="button button-small" hidden>Pause</button>
    <button type="button" id="resumeButton" class="button button-small" hidden>Resume</button>
    <button type="button" id="cancelButton" class="button button-small button-danger" hidden>Cancel</button>
  </div>
</div>
<div id="uploadResult" class="result" role="status" aria-live="polite"></div>`;

/** A file input of a form, and the upload kind it sends. */
interface Dropzone {
  id: string;
  name: string;
  kind: MediaKind;
  label: string;
  hint: string;
  required: boolean;
}

function dropzone(request: FastifyRequest, options: Dropzone) {
  const { config } = request.server;
  const types = config.allowedTypes[options.kind];
  return html`<div class="field">
    <span class="field-label" id="${options.id}Label">${options.label}</span>
    <label class="dropzone" data-for="${options.id}">
      <input type="file" name="${options.name}" id="${options.id}" class="sr-only" accept="${types.join(',')}"
        data-max-size="${config.maxSize[options.kind]}" aria-labelledby="${options.id}Label" ${options.required ? html`required` : ''}>
      <span class="dropzone-icon" aria-hidden="true">⇪</span>
      <span class="dropzone-text"><strong>Choose a file</strong> or drag it here</span>
      <span class="dropzone-hint">${options.hint} · up to ${formatSize(config.maxSize[options.kind])}</span>
      <span class="dropzone-file"></span>
    </label>
  </div>`;
}

const textFields = html`<label class="field">
    <span class="field-label">Title</span>
    <input type="text" name="title" maxlength="255" required>
  </label>
  <label class="field">
    <span class="field-label">Description <span class="muted">(optional)</span></span>
    <textarea name="description" rows="3" maxlength="10000"></textarea>
  </label>`;

/** Each form's files, in the order they are sent (the small cover first); the ids and names are the seed's. */
const DROPZONES: Record<'video' | 'photo', Dropzone[]> = {
  video: [
    { id: 'coverFileInput', name: 'cover_film', kind: 'cover', label: 'Cover image', hint: 'JPEG, PNG, WebP or AVIF', required: false },
    { id: 'videoFileInput', name: 'video', kind: 'video', label: 'Video file', hint: 'MP4, WebM, MOV, MKV', required: true },
  ],
  photo: [{ id: 'photoFileInput', name: 'image', kind: 'photo', label: 'Photo', hint: 'JPEG, PNG, WebP, GIF, AVIF or HEIC', required: true }],
};

/** `/videos/new`, `/photos/new`: the text fields, the drop zones and the seed's progress area. */
export function renderUploadForm(request: FastifyRequest, noun: 'video' | 'photo'): string {
  return layout(
    request,
    `New ${noun}`,
    html`<section class="card">
      <h1>Upload a ${noun}</h1>
      ${unfinishedNotice(request, noun, DROPZONES[noun].at(-1)!.id)}
      <form id="${noun}Form" data-upload-form="${noun}" class="stack" novalidate>
        ${textFields}
        ${DROPZONES[noun].map((zone) => dropzone(request, zone))}
        ${progressArea}
        <button type="submit" class="button button-primary">Upload the ${noun}</button>
      </form>
    </section>`,
  );
}
