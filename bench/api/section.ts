/**
 * The load benchmark's section of docs/BENCHMARKS.md lives between two markers, so a re-run
 * replaces it and `npm run bench`, which writes the rest of the page, keeps it (pure).
 */
export const START = '<!-- bench:api -->';
export const END = '<!-- /bench:api -->';

/** The section with its markers, as found in `doc`, or null. */
export function findSection(doc: string): string | null {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END, start);
  return start >= 0 && end >= 0 ? doc.slice(start, end + END.length) : null;
}

/** `doc` with its section replaced by `body` (between fresh markers), or with it appended. */
export function replaceSection(doc: string, body: string): string {
  const section = `${START}\n${body.trim()}\n${END}`;
  const old = findSection(doc);
  if (old) return doc.replace(old, () => section);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

/** A page written afresh (`next`) that keeps the section the previous page (`previous`) had. */
export function keepSection(previous: string, next: string): string {
  const old = findSection(previous);
  return old ? replaceSection(next, old.slice(START.length, -END.length)) : next;
}
