import { hasMessage, translator, type Locale } from './index.ts';

/**
 * An error answer `{code, message}` said to its reader: in English the server's own message,
 * which names the detail (the limit, the field); in another language what the code means,
 * from the `errors` catalog, or the server's message for a code the catalog does not know.
 */
export function errorMessage(locale: Locale, error: { code: string; message?: string; params?: Record<string, string | number> }): string {
  const code = error.code.replace(/^storage_/, '');
  const known = hasMessage(`errors:${code}`);
  if (locale === 'en' && error.message) return error.message;
  if (known) return translator(locale)(`errors:${code}`, error.params);
  return error.message || translator(locale)('errors:internal_error');
}
