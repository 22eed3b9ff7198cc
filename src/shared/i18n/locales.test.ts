import { describe, expect, it } from 'vitest';
import { chooseLocale } from './locales.ts';

describe('chooseLocale', () => {
  it.each([
    [{}, 'en'],
    [{ acceptLanguage: 'fr-FR,fr;q=0.9,en;q=0.8' }, 'fr'],
    [{ acceptLanguage: 'fr-CA' }, 'fr'],
    [{ acceptLanguage: 'de-DE,de;q=0.9,fr;q=0.5,en;q=0.4' }, 'fr'],
    [{ acceptLanguage: 'en;q=0.5,fr;q=0.9' }, 'fr'],
    [{ acceptLanguage: 'fr;q=0,en' }, 'en'],
    [{ acceptLanguage: 'de, ja' }, 'en'],
    [{ acceptLanguage: 'garbage;;;q=x' }, 'en'],
    [{ cookie: 'fr', acceptLanguage: 'en' }, 'fr'],
    [{ cookie: 'xx', acceptLanguage: 'fr' }, 'fr'],
    [{ query: 'en', cookie: 'fr' }, 'en'],
    [{ query: ['fr'], cookie: 'en' }, 'en'],
  ])('%j → %s', (choice, locale) => expect(chooseLocale(choice)).toBe(locale));
});
