import type { Locale } from './locales.ts';

/** One area's messages in every language: French must have every English key (checked by the compiler and by a test). */
export type Catalog<Keys extends string> = Record<Locale, Record<Keys, string>>;

/**
 * A namespace's messages, English giving the keys. Plurals follow i18next's suffixes
 * (`files_one`, `files_other`; French counts 0 as one). `{{name}}` interpolates; the
 * page template escapes, so messages hold no markup.
 */
export function defineCatalog<const English extends Record<string, string>>(en: English, fr: Record<keyof English & string, string>): Catalog<keyof English & string> {
  return { en, fr };
}
