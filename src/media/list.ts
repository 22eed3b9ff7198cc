import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { DB } from '../db/schema.ts';
import { LIST_LIMIT, type ListQuery, type ListSort } from '../shared/api.ts';
import { decodeCursor, encodeCursor, type ListCursor } from './list-cursor.ts';

type Table = ListCursor['list'];

/** What each sort orders by, the id breaking ties; both have an index that keeps that order (the migrations' `*_created_idx`, `*_title_idx`). */
const SORTS: Record<ListSort, { column: 'created_at' | 'title_key'; descending: boolean }> = {
  newest: { column: 'created_at', descending: true },
  oldest: { column: 'created_at', descending: false },
  title: { column: 'title_key', descending: false },
};

/** A row as listed, with the sort key its cursors carry. */
export type ListedRow = (Selectable<DB['videos']> | Selectable<DB['photos']>) & { cursor_key: string };

export interface ListedPage<Row> {
  rows: Row[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

/** The sort key as a cursor carries it: `created_at` to the microsecond (a JavaScript date would drop them, and skip rows). */
const cursorKey = (column: 'created_at' | 'title_key'): RawBuilder<string> =>
  column === 'created_at' ? sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : sql<string>`title_key`;

/** The cursor's key as SQL compares it with the column: a timestamp, or text compared byte-wise as `title_key` is. */
const keyValue = (column: 'created_at' | 'title_key', key: string) => (column === 'created_at' ? sql`CAST(${key} AS timestamptz)` : sql`CAST(${key} AS text) COLLATE "C"`);

/**
 * Every word of the search must be in the row's folded title and description, folded the same
 * way (`airlift_fold`, 2026-12-03-search) and taken literally: `%`, `_` and `\` match themselves.
 */
const wordMatches = (word: string) =>
  sql<boolean>`search_text LIKE '%' || replace(replace(replace(airlift_fold(${word}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`;

export const searchWords = (q: string | undefined) => (q ?? '').split(/\s+/).filter(Boolean);

/**
 * One page of a list, by keyset: the rows after (or, for a `prev` cursor, before) the cursor's
 * row in the sort's order, ties broken by id, so a page never skips or repeats a row however
 * many are added or removed meanwhile. Asks for one row more than it shows to know whether
 * there is a page beyond; `prev_cursor` is null on the first page, `next_cursor` on the last.
 */
export async function listPage(db: Kysely<DB>, table: Table, query: Partial<ListQuery>): Promise<ListedPage<ListedRow>> {
  const sort = query.sort ?? 'newest';
  const limit = Math.min(Math.max(query.limit ?? LIST_LIMIT.default, LIST_LIMIT.min), LIST_LIMIT.max);
  const cursor = query.cursor ? decodeCursor(query.cursor, { list: table, sort }) : null;
  const { column, descending } = SORTS[sort];
  const forward = cursor?.direction !== 'prev';
  // Going back reads the rows before the cursor nearest first, then turns them round.
  const scanDescending = forward === descending;
  const order = scanDescending ? 'desc' : 'asc';

  let select = db
    .selectFrom(table)
    .selectAll()
    .select(cursorKey(column).as('cursor_key'))
    .orderBy(column, order)
    .orderBy('id', order)
    .limit(limit + 1);
  for (const word of searchWords(query.q)) select = select.where(wordMatches(word));
  if (cursor) select = select.where(sql<boolean>`(${sql.ref(column)}, id) ${sql.raw(scanDescending ? '<' : '>')} (${keyValue(column, cursor.key)}, ${cursor.id})`);

  const rows = (await select.execute()) as ListedRow[];
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (!forward) page.reverse();
  const at = (direction: ListCursor['direction'], row: ListedRow | undefined) =>
    row ? encodeCursor({ list: table, sort, direction, key: row.cursor_key, id: row.id }) : null;
  return {
    rows: page,
    // Forward, there is a next page when the extra row came; back, the page came from one.
    next_cursor: forward && !more ? null : at('next', page.at(-1)),
    prev_cursor: forward ? (cursor ? at('prev', page[0]) : null) : more ? at('prev', page[0]) : null,
  };
}
