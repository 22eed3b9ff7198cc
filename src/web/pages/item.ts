import type { FastifyRequest } from 'fastify';
import type { Photo, Video } from '../../db/schema.ts';
import { PHOTOS, VIDEOS, type ItemType } from '../../media/item-types.ts';
import type { PhotoItem, VideoItem } from '../../shared/api.ts';
import { formatSize } from '../../shared/format.ts';
import { html, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

/** What the pages show of any item. */
export type ShownItem = Pick<VideoItem, 'id' | 'description' | 'size' | 'content_type' | 'created_at'> & { title: string | null };

/** How one type of item shows: its own page and its library tile; the rest is shared. */
export interface ItemView<Row, Item extends ShownItem> {
  type: ItemType<Row, Item>;
  /** Its name standing alone: the page's title for an untitled item; with an s, the library's heading. */
  label: 'Video' | 'Photo';
  /** The item on its page: the player or the image. */
  media(item: Item): SafeHtml;
  /** Its picture on a library tile. */
  thumbnail(item: Item): SafeHtml;
}

export const VIDEO_VIEW: ItemView<Video, VideoItem> = {
  type: VIDEOS,
  label: 'Video',
  media: (video) =>
    html`<video id="player" class="player" controls preload="metadata" src="${video.video_url}" ${video.cover_url ? html`poster="${video.cover_url}"` : ''}></video>`,
  thumbnail: (video) =>
    html`<span class="tile-media video-thumb">
          ${video.cover_url ? html`<img src="${video.cover_url}" alt="" loading="lazy">` : html`<span class="play" aria-hidden="true">▶</span>`}
        </span>`,
};

export const PHOTO_VIEW: ItemView<Photo, PhotoItem> = {
  type: PHOTOS,
  label: 'Photo',
  media: (photo) => html`<img id="photo" class="photo" src="${photo.image_url}" alt="${photo.title ?? ''}">`,
  // The thumbnail, never the original: a library page of originals weighs hundreds of MB.
  thumbnail: (photo) => html`<span class="tile-media"><img src="${photo.thumbnail_url ?? photo.image_url}" alt="${photo.title ?? ''}" loading="lazy"></span>`,
};

/** The item's name where one is shown; an item may lack a title (the seed's photos could). */
export const itemName = (view: ItemView<unknown, ShownItem>, item: ShownItem) => item.title || `Untitled ${view.type.noun}`;

function editForms(request: FastifyRequest, path: string, item: ShownItem, canEdit: boolean): SafeHtml | string {
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

const meta = (item: ShownItem) =>
  html`<p class="muted">${formatSize(item.size)} · ${item.content_type} · added ${new Date(item.created_at).toLocaleString('en-GB')}</p>`;

/** `/videos/:id`, `/photos/:id`: the item, and the forms to edit or delete it for those who may. */
export function renderItem<Row, Item extends ShownItem>(request: FastifyRequest, view: ItemView<Row, Item>, item: Item, canEdit: boolean): string {
  return layout(
    request,
    item.title || view.label,
    html`<article class="card wide">
      <h1>${itemName(view, item)}</h1>
      ${view.media(item)}
      ${item.description ? html`<p class="description">${item.description}</p>` : ''}
      ${meta(item)}
      ${editForms(request, `/${view.type.plural}/${item.id}`, item, canEdit)}
    </article>`,
  );
}
