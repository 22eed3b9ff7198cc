import type { FastifyRequest } from 'fastify';
import type { Photo, Video } from '../../db/schema.ts';
import { PHOTOS, VIDEOS, type ItemType } from '../../media/item-types.ts';
import type { PhotoItem, VideoItem } from '../../shared/api.ts';
import { formatDate, formatDuration, formatSize } from '../../shared/format.ts';
import type { Translate } from '../../shared/i18n/index.ts';
import { html, type SafeHtml } from '../html.ts';
import { readerOf } from '../i18n-plugin.ts';
import { layout } from '../layout.ts';

/** What the browser measured of the file (duration, dimensions), shown when the item carries it. */
type Measured = { duration?: number | null; width?: number | null; height?: number | null };

/** What the pages show of any item. */
export type ShownItem = Pick<VideoItem, 'id' | 'description' | 'size' | 'content_type' | 'created_at'> & { title: string | null } & Measured;

/** How one type of item shows: its own page and its library tile; the rest is shared. */
export interface ItemView<Row, Item extends ShownItem> {
  type: ItemType<Row, Item>;
  /** The item on its page: the player or the image. */
  media(item: Item, name: string): SafeHtml;
  /** Its picture on a library tile: the cover or the thumbnail. */
  thumbnail(item: Item): SafeHtml;
}

export const VIDEO_VIEW: ItemView<Video, VideoItem> = {
  type: VIDEOS,
  media: (video) =>
    html`<video id="player" class="player" controls preload="metadata" src="${video.video_url}" ${video.cover_url ? html`poster="${video.cover_url}"` : ''}></video>`,
  thumbnail: (video) =>
    html`<span class="tile-media video-thumb">
          ${video.cover_url ? html`<img src="${video.cover_url}" alt="" loading="lazy">` : html`<span class="play" aria-hidden="true">▶</span>`}
        </span>`,
};

export const PHOTO_VIEW: ItemView<Photo, PhotoItem> = {
  type: PHOTOS,
  media: (photo, name) => html`<img id="photo" class="photo" src="${photo.image_url}" alt="${name}">`,
  // The thumbnail, never the original: a library page of originals weighs hundreds of MB.
  thumbnail: (photo) => html`<span class="tile-media"><img src="${photo.thumbnail_url ?? photo.image_url}" alt="" loading="lazy"></span>`,
};

/** The item's name where one is shown; an item may lack a title (the seed's photos could). */
export const itemName = (t: Translate, view: ItemView<unknown, ShownItem>, item: ShownItem) => item.title || t(`library:${view.type.noun}.untitled`);

/** Its size, and its running time or dimensions where the browser could read them: `12.34 MB · 2:05 · 1920 × 1080`. */
export function itemFacts(request: FastifyRequest, item: ShownItem): string {
  const { t, locale } = readerOf(request);
  const facts = [formatSize(item.size, locale)];
  if (typeof item.duration === 'number') facts.push(formatDuration(item.duration));
  if (item.width && item.height) facts.push(t('library:dimensions', { width: item.width, height: item.height }));
  return facts.join(' · ');
}

/** Who added it and when. */
export function addedBy(request: FastifyRequest, item: ShownItem, owner: string | null): string {
  const { t, locale } = readerOf(request);
  return t('library:item.added', { date: formatDate(item.created_at, locale), owner: owner ?? t('library:owner.gone') });
}

/** A video's new cover, sent by the page's script straight to the store (src/client/cover-form.ts). */
function coverForm(request: FastifyRequest, item: ShownItem): SafeHtml {
  const { t } = readerOf(request);
  const { config } = request.server;
  return html`<form class="stack cover-form" data-cover-form data-video-id="${item.id}" novalidate>
    <label class="field"><span class="field-label">${t('library:cover.field')}</span>
      <input type="file" name="cover" accept="${config.allowedTypes.cover.join(',')}" data-max-size="${config.maxSize.cover}" aria-describedby="coverHint">
      <span class="field-hint" id="coverHint">${t('library:cover.hint', { size: formatSize(config.maxSize.cover, readerOf(request).locale) })}</span>
    </label>
    <button type="submit" class="button">${t('library:cover.change')}</button>
    <p class="cover-status muted" role="status" aria-live="polite"></p>
  </form>`;
}

function editForms(request: FastifyRequest, path: string, item: ShownItem, withCover: boolean): SafeHtml {
  const { t } = readerOf(request);
  return html`<div class="item-actions">
    <details class="edit">
      <summary>${t('library:item.edit')}</summary>
      <form method="post" action="${path}/edit" class="stack">
        <input type="hidden" name="csrf_token" value="${request.csrfToken}">
        <label class="field"><span class="field-label">${t('library:item.titleField')}</span><input type="text" name="title" maxlength="255" required value="${item.title ?? ''}"></label>
        <label class="field"><span class="field-label">${t('library:item.descriptionField')}</span><textarea name="description" rows="3" maxlength="10000">${item.description ?? ''}</textarea></label>
        <button type="submit" class="button">${t('library:item.save')}</button>
      </form>
      ${withCover ? coverForm(request, item) : ''}
    </details>
    <a class="button button-danger" href="${path}/delete" id="deleteLink">${t('library:item.delete')}</a>
  </div>`;
}

/** `/videos/:id`, `/photos/:id`: the item, and for those who may, the form to edit it and the way to delete it. */
export function renderItem<Row, Item extends ShownItem>(request: FastifyRequest, view: ItemView<Row, Item>, item: Item, options: { owner: string | null; canEdit: boolean }): string {
  const name = itemName(request.t, view, item);
  return layout(
    request,
    name,
    html`<article class="card wide">
      <h1>${name}</h1>
      ${view.media(item, name)}
      ${item.description ? html`<p class="description">${item.description}</p>` : ''}
      <p class="muted">${itemFacts(request, item)} · ${item.content_type}</p>
      <p class="muted">${addedBy(request, item, options.owner)}</p>
      ${options.canEdit ? editForms(request, `/${view.type.plural}/${item.id}`, item, view.type.noun === 'video') : ''}
    </article>`,
  );
}

/**
 * `/videos/:id/delete`, `/photos/:id/delete`: the confirmation step. Deleting takes the
 * POST of this page's form; Cancel goes back to the item.
 */
export function renderDeleteConfirmation<Row, Item extends ShownItem>(request: FastifyRequest, view: ItemView<Row, Item>, item: Item): string {
  const { t } = readerOf(request);
  const path = `/${view.type.plural}/${item.id}`;
  const heading = t('library:delete.title', { title: itemName(t, view, item) });
  return layout(
    request,
    heading,
    html`<article class="card confirm">
      <h1>${heading}</h1>
      <p>${t(`library:${view.type.noun}.deleteWhat`)}</p>
      <form method="post" action="${path}/delete" class="confirm-actions">
        <input type="hidden" name="csrf_token" value="${request.csrfToken}">
        <button type="submit" class="button button-danger" id="confirmDelete">${t('library:delete.confirm')}</button>
        <a class="button" href="${path}">${t('library:delete.cancel')}</a>
      </form>
    </article>`,
  );
}
