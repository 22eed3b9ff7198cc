/**
 * The sections of docs/BENCHMARKS.md that benchmarks of their own write — the load benchmark's
 * (`api`), the library's list and search (`library`) and the real links' (`links`, and `links-large` for a run
 * of other settings beside it) — each between two markers, so a re-run
 * replaces its section and `npm run bench`, which writes the rest of the page, keeps them (pure).
 */
export const SECTIONS = ['api', 'library', 'links', 'links-large'] as const;
export type SectionName = (typeof SECTIONS)[number];

const markers = (name: SectionName) => ({ start: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` });

/** The section with its markers, as found in `doc`, or null. */
export function findSection(doc: string, name: SectionName = 'api'): string | null {
  const { start, end } = markers(name);
  const from = doc.indexOf(start);
  const to = doc.indexOf(end, from);
  return from >= 0 && to >= 0 ? doc.slice(from, to + end.length) : null;
}

/** `doc` with its section replaced by `body` (between fresh markers), or with it appended. */
export function replaceSection(doc: string, body: string, name: SectionName = 'api'): string {
  const { start, end } = markers(name);
  const section = `${start}\n${body.trim()}\n${end}`;
  const old = findSection(doc, name);
  if (old) return doc.replace(old, () => section);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

/** A page written afresh (`next`) that keeps every section the previous page (`previous`) had. */
export function keepSection(previous: string, next: string): string {
  let page = next;
  for (const name of SECTIONS) {
    const old = findSection(previous, name);
    const { start, end } = markers(name);
    if (old) page = replaceSection(page, old.slice(start.length, -end.length), name);
  }
  return page;
}
