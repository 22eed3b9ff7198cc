/**
 * The sections other benchmarks write into docs/BENCHMARKS.md (the load benchmark's, and
 * `npm run bench:links`'s) live between two markers each, so a re-run replaces its own and
 * `npm run bench`, which writes the rest of the page, keeps them (pure).
 */
export type SectionName = 'api' | 'links';
const markers = (name: SectionName) => ({ start: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` });
export const START = markers('api').start;
export const END = markers('api').end;

/** The section with its markers, as found in `doc`, or null. */
export function findSection(doc: string, name: SectionName = 'api'): string | null {
  const { start: open, end: close } = markers(name);
  const start = doc.indexOf(open);
  const end = doc.indexOf(close, start);
  return start >= 0 && end >= 0 ? doc.slice(start, end + close.length) : null;
}

/** `doc` with its section replaced by `body` (between fresh markers), or with it appended. */
export function replaceSection(doc: string, body: string, name: SectionName = 'api'): string {
  const { start, end } = markers(name);
  const section = `${start}\n${body.trim()}\n${end}`;
  const old = findSection(doc, name);
  if (old) return doc.replace(old, () => section);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

/** A page written afresh (`next`) that keeps the sections the previous page (`previous`) had. */
export function keepSection(previous: string, next: string): string {
  let page = next;
  for (const name of ['api', 'links'] as const) {
    const old = findSection(previous, name);
    const { start, end } = markers(name);
    if (old) page = replaceSection(page, old.slice(start.length, -end.length), name);
  }
  return page;
}
