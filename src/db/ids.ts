/** Ids are PostgreSQL `integer`s: a larger number would fail the query (a 500), not find nothing. */
const INT32_MAX = 2 ** 31 - 1;

/** A row id written as text (a path, a cursor, a CLI argument), in its one spelling (`12`, not `012`, `1e1` or `+12`); null otherwise. */
export function parseId(text: string): number | null {
  return /^[1-9]\d{0,9}$/.test(text) && Number(text) <= INT32_MAX ? Number(text) : null;
}
