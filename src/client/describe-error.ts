/**
 * Why an upload or a save failed, said to the page's reader: an API refusal through the errors
 * catalog (English keeps the server's detailed message), a network failure or a timeout in
 * the page's language, anything else by its own message.
 */
import { errorMessage } from '../shared/i18n/error-message.ts';
import { translator } from '../shared/i18n/index.ts';
import type { Locale } from '../shared/i18n/locales.ts';
import { ApiError, NetworkError, RequestTimeout } from './errors.ts';

export function describeError(error: unknown, locale: Locale): string {
  const t = translator(locale);
  // The engine wraps what stopped it (`UploadFailed`): the cause says what happened.
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApiError) return errorMessage(locale, { code: cause.code, message: cause.message });
    if (cause instanceof NetworkError) return t('upload:error.network');
    if (cause instanceof RequestTimeout) return t('upload:error.timeout');
  }
  return error instanceof Error ? error.message : String(error);
}
