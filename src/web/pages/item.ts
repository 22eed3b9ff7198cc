import type { FastifyRequest } from 'fastify';
import type { PhotoItem, VideoItem } from '../../shared/api.ts';
import { formatSize } from '../../shared/format.ts';
import { html, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

function editForms(request: FastifyRequest, path: string, item: { title: string | null; description: string | null }, canEdit: boolean): SafeHtml | string {
  if (!canEdit) return '';
  return html`<details class="edit">
    <summary>Edit or delete</summary>
    <form method="post" action="${path}/edit" class="stack">
      <input type="hidden" name="csrf_token" value="${request.csrfToken}">
      <label class="field"><span class="field-label">Title</span><input type="text" name="title" maxlength="255" required value="${item.title ?? ''}"></label>
      <label class="field"><span class="field-label">Description</span><textarea name="description" rows="3" maxlength="10000">${item.description ?? ''}</textarea></label>
      <button type="submit" class="button">Save changes</button>
    </form>
    <form method="post" action="${path}/delete" class="delete-form">
      <input type="hidden" name="csrf_token" value="${request.csrfToken}">
      <button type="submit" class="button button-danger">Delete, with its files</button>
    </form>
  </details>`;
}

const meta = (item: { size: number; content_type: string; created_at: string }) =>
  html`<p class="muted">${formatSize(item.size)} · ${item.content_type} · added ${new Date(item.created_at).toLocaleString('en-GB')}</p>`;

export function renderVideo(request: FastifyRequest, video: VideoItem, canEdit: boolean): string {
  return layout(
    request,
    video.title,
    html`<article class="card wide">
      <h1>${video.title}</h1>
      <video id="player" class="player" controls preload="metadata" src="${video.video_url}" ${video.cover_url ? html`poster="${video.cover_url}"` : ''}></video>
      ${video.description ? html`<p class="description">${video.description}</p>` : ''}
      ${meta(video)}
      ${editForms(request, `/videos/${video.id}`, video, canEdit)}
    </article>`,
  );
}

export function renderPhoto(request: FastifyRequest, photo: PhotoItem, canEdit: boolean): string {
  return layout(
    request,
    photo.title || 'Photo',
    html`<article class="card wide">
      <h1>${photo.title || 'Untitled photo'}</h1>
      <img id="photo" class="photo" src="${photo.image_url}" alt="${photo.title ?? ''}">
      ${photo.description ? html`<p class="description">${photo.description}</p>` : ''}
      ${meta(photo)}
      ${editForms(request, `/photos/${photo.id}`, photo, canEdit)}
    </article>`,
  );
}
