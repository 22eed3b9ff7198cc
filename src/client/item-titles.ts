/**
 * The titles of the records a form sends (pure): the title typed, numbered when several files
 * share it ("Title (1)", "Title (2)"…), or each file's name without its extension when none was.
 */
export function itemTitles(title: string, filenames: readonly string[]): string[] {
  const typed = title.trim();
  // A title is at most 255 characters (the server's rule); a file's name may be longer.
  if (!typed) return filenames.map((name) => [...withoutExtension(name)].slice(0, 255).join(''));
  return filenames.length > 1 ? filenames.map((_, i) => `${typed} (${i + 1})`) : filenames.map(() => typed);
}

/** `IMG_0042.JPG` → `IMG_0042`; a name that is only an extension (`.jpg`) stays whole. */
export function withoutExtension(filename: string): string {
  return filename.replace(/\.[^.]*$/, '').trim() || filename;
}
