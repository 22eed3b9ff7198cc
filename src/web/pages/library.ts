import type { FastifyRequest } from 'fastify';
import type { Page, PhotoItem, VideoItem } from '../../shared/api.ts';
import { formatSize } from '../../shared/format.ts';
import { html } from '../html.ts';
import { layout } from '../layout.ts';

const empty = (what: string, href: string) =>
  html`<p class="empty">No ${what} yet. <a href="${href}">Upload the first one</a>.</p>`;

export function renderLibrary(request: FastifyRequest, videos: Page<VideoItem>, photos: Page<PhotoItem>): string {
  const videoCards = videos.items.map(
    (video) => html`<li class="tile">
      <a href="/videos/${video.id}" class="tile-link">
        <span class="tile-media video-thumb">
          ${video.cover_url ? html`<img src="${video.cover_url}" alt="" loading="lazy">` : html`<span class="play" aria-hidden="true">▶</span>`}
        </span>
        <span class="tile-title">${video.title}</span>
        <span class="tile-meta">${formatSize(video.size)} · ${new Date(video.created_at).toLocaleDateString('en-GB')}</span>
      </a>
    </li>`,
  );
  const photoCards = photos.items.map(
    (photo) => html`<li class="tile">
      <a href="/photos/${photo.id}" class="tile-link">
        <span class="tile-media"><img src="${photo.image_url}" alt="${photo.title ?? ''}" loading="lazy"></span>
        <span class="tile-title">${photo.title || 'Untitled photo'}</span>
        <span class="tile-meta">${formatSize(photo.size)} · ${new Date(photo.created_at).toLocaleDateString('en-GB')}</span>
      </a>
    </li>`,
  );
  return layout(
    request,
    'Library',
    html`<div class="page-head">
        <h1>Library</h1>
        <div class="actions">
          <a class="button button-primary" href="/videos/new">Upload a video</a>
          <a class="button" href="/photos/new">Upload a photo</a>
        </div>
      </div>
      <section aria-labelledby="videos-heading">
        <h2 id="videos-heading">Videos</h2>
        ${videoCards.length ? html`<ul class="grid" id="videoList">${videoCards}</ul>` : empty('videos', '/videos/new')}
        ${videos.next_cursor ? html`<p><a href="/?videos=${videos.next_cursor}">Older videos →</a></p>` : ''}
      </section>
      <section aria-labelledby="photos-heading">
        <h2 id="photos-heading">Photos</h2>
        ${photoCards.length ? html`<ul class="grid" id="photoList">${photoCards}</ul>` : empty('photos', '/photos/new')}
        ${photos.next_cursor ? html`<p><a href="/?photos=${photos.next_cursor}">Older photos →</a></p>` : ''}
      </section>`,
  );
}
