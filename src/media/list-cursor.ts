import { parseId } from '../db/ids.ts';
import { AppError } from '../errors.ts';
import { LIST_SORTS, textProblem, type ListSort } from '../shared/api.ts';

/**
 * A list's cursor: where a page starts, as the row it starts after (or before) — its sort key
 * and its id, which breaks ties — for one list and one sort. Opaque to clients (base64url of
 * JSON), and checked field by field when it comes back: a cursor someone edited is 400
 * `invalid_cursor`, one given for the other list or another sort 400 `cursor_mismatch` (pure).
 */
export interface ListCursor {
  list: 'videos' | 'photos';
  sort: ListSort;
  /** `next`: the rows after the key, in the sort's order; `prev`: those before it. */
  direction: 'next' | 'prev';
  /** The row's sort key: its `created_at` to the microsecond (ISO, UTC) or its `title_key`. */
  key: string;
  id: number;
}

/** `created_at` as the list query writes it (`to_char(… 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`): JavaScript's dates stop at the millisecond. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
/** A title key is a folded title (at most 255 characters, some folded into two). */
const TITLE_KEY_MAX = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const VERSION = 1;

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([VERSION, cursor.list, cursor.sort, cursor.direction, cursor.key, cursor.id])).toString('base64url');
}

const invalid = () => new AppError(400, 'invalid_cursor', 'The cursor is not one this server gave: start again from the first page.');

/** The cursor, if it is a well-formed one for `list` sorted by `sort`; else 400. */
export function decodeCursor(text: string, expected: { list: ListCursor['list']; sort: ListSort }): ListCursor {
  const cursor = parse(text);
  if (!cursor) throw invalid();
  if (cursor.list !== expected.list || cursor.sort !== expected.sort) {
    throw new AppError(400, 'cursor_mismatch', `The cursor was given for the ${cursor.list} sorted by ${cursor.sort}, not the ${expected.list} sorted by ${expected.sort}.`);
  }
  return cursor;
}

function parse(text: string): ListCursor | null {
  if (!BASE64URL.test(text)) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields.length !== 6) return null;
  const [version, list, sort, direction, key, id] = fields as unknown[];
  if (version !== VERSION || (list !== 'videos' && list !== 'photos') || !LIST_SORTS.includes(sort as ListSort)) return null;
  if ((direction !== 'next' && direction !== 'prev') || typeof key !== 'string' || typeof id !== 'number') return null;
  const rowId = parseId(String(id));
  if (rowId === null || !validKey(sort as ListSort, key)) return null;
  return { list, sort: sort as ListSort, direction, key, id: rowId };
}

function validKey(sort: ListSort, key: string): boolean {
  if (sort === 'title') return key.length <= TITLE_KEY_MAX && textProblem(key) === null;
  return TIMESTAMP.test(key) && !Number.isNaN(Date.parse(key));
}
