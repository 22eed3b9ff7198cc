/** The languages of the interface, French first: the newsroom's own. */
export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
/** Without a `lang` cookie and with no language the browser asks for that we speak. */
export const DEFAULT_LOCALE: Locale = 'en';
/** The cookie that keeps the reader's choice (`?lang=fr|en` or the header's switch). */
export const LANG_COOKIE = 'lang';

export const isLocale = (value: unknown): value is Locale => typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/**
 * The page's language: an explicit choice (`?lang=` on this request, else the cookie), else
 * the first language of `Accept-Language` we speak (by quality, `fr-CA` counting as `fr`),
 * else English.
 */
export function chooseLocale(choice: { query?: unknown; cookie?: unknown; acceptLanguage?: string }): Locale {
  if (isLocale(choice.query)) return choice.query;
  if (isLocale(choice.cookie)) return choice.cookie;
  const wanted = (choice.acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { base: tag.toLowerCase().split('-')[0]!, quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((entry) => entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  return wanted.map((entry) => entry.base).find(isLocale) ?? DEFAULT_LOCALE;
}
