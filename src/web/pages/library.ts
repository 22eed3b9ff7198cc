import type { FastifyRequest } from 'fastify';
import type { Page } from '../../shared/api.ts';
import { formatSize } from '../../shared/format.ts';
import { html, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';
import { itemName, type ItemView, type ShownItem } from './item.ts';

/** The type's section: `#videoList` of tiles (or an invitation to upload), and the link to older items. */
export function librarySection<Row, Item extends ShownItem>(view: ItemView<Row, Item>, page: Page<Item>): SafeHtml {
  const { noun, plural } = view.type;
  const tiles = page.items.map(
    (item) => html`<li class="tile">
      <a href="/${plural}/${item.id}" class="tile-link">
        ${view.thumbnail(item)}
        <span class="tile-title">${itemName(view, item)}</span>
        <span class="tile-meta">${formatSize(item.size)} · ${new Date(item.created_at).toLocaleDateString('en-GB')}</span>
      </a>
    </li>`,
  );
  return html`<section aria-labelledby="${plural}-heading">
        <h2 id="${plural}-heading">${view.label}s</h2>
        ${tiles.length ? html`<ul class="grid" id="${noun}List">${tiles}</ul>` : html`<p class="empty">No ${plural} yet. <a href="/${plural}/new">Upload the first one</a>.</p>`}
        ${page.next_cursor ? html`<p><a href="/?${plural}=${page.next_cursor}">Older ${plural} →</a></p>` : ''}
      </section>`;
}

/** `/`: a section per type of item (`librarySection`), newest first. */
export function renderLibrary(request: FastifyRequest, sections: SafeHtml[]): string {
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
      ${sections}`,
  );
}
