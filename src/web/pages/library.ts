import type { FastifyRequest } from 'fastify';
import type { OwnedItem } from '../../media/service.ts';
import { LIST_SORTS, type ListSort, type Page } from '../../shared/api.ts';
import { formatDate } from '../../shared/format.ts';
import { html, type SafeHtml } from '../html.ts';
import { readerOf } from '../i18n-plugin.ts';
import { layout } from '../layout.ts';
import { itemFacts, itemName, type ItemView, type ShownItem } from './item.ts';

export const LIBRARY_TYPES = ['all', 'videos', 'photos'] as const;
type Plural = 'videos' | 'photos';

/** What the library page shows: the search, the sort, which types, where each type's section is, what was just deleted. */
export interface LibraryState {
  q: string;
  sort: ListSort;
  type: (typeof LIBRARY_TYPES)[number];
  cursors: Partial<Record<Plural, string>>;
  deleted?: Plural;
}

/** The library's address in this state with `cursors` for its sections (the defaults left out): the pager's links. */
export function libraryHref(state: LibraryState, cursors: Partial<Record<Plural, string | null>>): string {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (state.sort !== 'newest') params.set('sort', state.sort);
  if (state.type !== 'all') params.set('type', state.type);
  for (const [plural, cursor] of Object.entries({ ...state.cursors, ...cursors })) if (cursor) params.set(plural, cursor);
  const query = params.toString();
  return query ? `/?${query}` : '/';
}

/** A type's section: `#videoList` of tiles (or why there are none), and the links to the pages before and after. */
export function librarySection<Row, Item extends ShownItem>(request: FastifyRequest, view: ItemView<Row, Item>, page: Page<OwnedItem<Item>>, state: LibraryState): SafeHtml {
  const { t, locale } = readerOf(request);
  const { noun, plural } = view.type;
  const tiles = page.items.map(
    ({ item, owner }) => html`<li class="tile">
      <a href="/${plural}/${item.id}" class="tile-link">
        ${view.thumbnail(item)}
        <span class="tile-title">${itemName(t, view, item)}</span>
        <span class="tile-meta"><span>${itemFacts(request, item)}</span>
          <span class="tile-owner">${t('library:tile.by', { owner: owner ?? t('library:owner.gone') })}</span>
          <time datetime="${item.created_at}">${formatDate(item.created_at, locale)}</time></span>
      </a>
    </li>`,
  );
  const empty = state.q
    ? html`<p class="empty">${t(`library:${plural}.noMatch`, { q: state.q })}</p>`
    : html`<p class="empty">${t(`library:${plural}.empty`)} <a href="/${plural}/new">${t(`library:${plural}.uploadFirst`)}</a>.</p>`;
  return html`<section aria-labelledby="${plural}-heading">
        <h2 id="${plural}-heading">${t(`library:${plural}.heading`)}</h2>
        ${tiles.length ? html`<ul class="grid" id="${noun}List">${tiles}</ul>` : empty}
        ${pager(request, plural, page, state)}
      </section>`;
}

/** Previous and next, and the first page when a cursor led somewhere with no way back (rows deleted meanwhile). */
function pager(request: FastifyRequest, plural: Plural, page: Page<unknown>, state: LibraryState): SafeHtml | string {
  const { t } = readerOf(request);
  const links = [
    page.prev_cursor ? html`<a class="button" rel="prev" href="${libraryHref(state, { [plural]: page.prev_cursor })}">${t('library:pager.prev')}</a>` : '',
    !page.prev_cursor && state.cursors[plural] ? html`<a class="button" href="${libraryHref(state, { [plural]: null })}">${t('library:pager.first')}</a>` : '',
    page.next_cursor ? html`<a class="button" rel="next" href="${libraryHref(state, { [plural]: page.next_cursor })}">${t('library:pager.next')}</a>` : '',
  ].filter(Boolean);
  return links.length ? html`<nav class="pager" aria-label="${t(`library:${plural}.pages`)}">${links}</nav>` : '';
}

/** The search form: a GET, so it works without JavaScript and its results have an address. */
function filterForm(request: FastifyRequest, state: LibraryState): SafeHtml {
  const { t } = readerOf(request);
  const option = (value: string, label: string, current: string) => html`<option value="${value}" ${value === current ? html`selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/" class="library-filter" role="search" aria-label="${t('library:filter.label')}">
      <div class="field filter-q">
        <label class="field-label" for="q">${t('library:filter.q')}</label>
        <input type="search" id="q" name="q" value="${state.q}" maxlength="200" aria-describedby="q-hint">
      </div>
      <div class="field">
        <label class="field-label" for="sort">${t('library:filter.sort')}</label>
        <select id="sort" name="sort">${LIST_SORTS.map((sort) => option(sort, t(`library:sort.${sort}`), state.sort))}</select>
      </div>
      <div class="field">
        <label class="field-label" for="type">${t('library:filter.type')}</label>
        <select id="type" name="type">${LIBRARY_TYPES.map((type) => option(type, t(`library:type.${type}`), state.type))}</select>
      </div>
      <div class="filter-actions">
        <button type="submit" class="button button-primary">${t('library:filter.submit')}</button>
        ${state.q ? html`<a href="${libraryHref({ ...state, q: '', cursors: {} }, {})}">${t('library:filter.clear')}</a>` : ''}
      </div>
      <p class="field-hint filter-hint" id="q-hint">${t('library:filter.qHint')}</p>
    </form>`;
}

/** `/`: the search form, then a section per type shown (`librarySection`). */
export function renderLibrary(request: FastifyRequest, state: LibraryState, sections: SafeHtml[]): string {
  const { t } = readerOf(request);
  return layout(
    request,
    t('library:title'),
    html`<div class="page-head">
        <h1>${t('library:title')}</h1>
        <div class="actions">
          <a class="button button-primary" href="/videos/new">${t('library:uploadVideo')}</a>
          <a class="button" href="/photos/new">${t('library:uploadPhoto')}</a>
        </div>
      </div>
      ${state.deleted ? html`<p class="alert alert-success" role="status">${t(`library:${state.deleted}.deleted`)}</p>` : ''}
      ${filterForm(request, state)}
      ${state.q ? html`<p class="results" role="status">${t('library:results', { q: state.q })}</p>` : ''}
      ${sections}`,
  );
}
