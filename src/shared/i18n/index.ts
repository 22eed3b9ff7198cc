import i18next from 'i18next';
import type { Catalog } from './catalog.ts';
import { LOCALES, type Locale } from './locales.ts';
import { admin } from './messages/admin.ts';
import { api } from './messages/api.ts';
import { common } from './messages/common.ts';
import { errors } from './messages/errors.ts';
import { unfinished } from './messages/unfinished.ts';
import { upload } from './messages/upload.ts';

export { chooseLocale, DEFAULT_LOCALE, isLocale, LANG_COOKIE, LOCALES, type Locale } from './locales.ts';

/**
 * Every namespace of messages, by name: `t('common:nav.library')`. One per area of the
 * interface, so each area keeps its own file; the server and the browser bundle share them.
 */
export const CATALOGS = {
  admin,
  api,
  common,
  errors,
  unfinished,
  upload,
} satisfies Record<string, Catalog<string>>;
export type Namespace = keyof typeof CATALOGS;

/** A message in the reader's language: `t('common:login.tooManySeconds', { count: 5 })`. */
export type Translate = (key: string, params?: Record<string, unknown>) => string;

/** French has a `many` plural for millions (`1 000 000 de fichiers`): it reads as `other` unless a catalog says otherwise. */
const withMany = (messages: Record<string, string>) =>
  Object.fromEntries(Object.entries(messages).flatMap(([key, text]) => (key.endsWith('_other') && !(`${key.slice(0, -6)}_many` in messages) ? [[key, text], [`${key.slice(0, -6)}_many`, text]] : [[key, text]])));

const resources = Object.fromEntries(
  LOCALES.map((locale) => [locale, Object.fromEntries(Object.entries(CATALOGS).map(([ns, catalog]) => [ns, withMany(catalog[locale])]))]),
);

const instance = i18next.createInstance();
// Resources are in memory, so initialisation is synchronous; pages escape, so i18next does not.
void instance.init({
  resources,
  lng: 'en',
  fallbackLng: 'en',
  ns: Object.keys(CATALOGS),
  defaultNS: 'common',
  nsSeparator: ':',
  keySeparator: false,
  initAsync: false,
  returnNull: false,
  interpolation: { escapeValue: false },
});

const translators = new Map<Locale, Translate>(LOCALES.map((locale) => [locale, instance.getFixedT(locale) as Translate]));

/** The translate function of one language. */
export const translator = (locale: Locale): Translate => translators.get(locale)!;

/** Whether a key (`ns:key`, without plural suffix) has a message. */
export const hasMessage = (key: string): boolean => instance.exists(key, { lng: 'en', count: 1 }) || instance.exists(key, { lng: 'en' });
