import { attachment } from '../content-disposition.ts';

/**
 * How the local store's GETs present an object, which it serves from the app's own origin:
 * a browser must never run a stored file as a page of the app. Only media types are shown
 * inline (the configured ones, when the store is told them), never markup, which can carry
 * script (HTML, SVG, any XML); anything else is a download of opaque bytes. Every answer
 * also says `nosniff` and carries a sandbox CSP, so even a file opened on its own has no
 * script, no origin and no requests.
 */

/** Types that are documents a browser can script, whatever their top-level type. */
const MARKUP = /(^text\/)|(html|xml|svg|javascript|ecmascript|json)/i;
const MEDIA = /^(image|video|audio)\/[a-z0-9][a-z0-9.+-]*$/i;

export const SANDBOX_CSP = "sandbox; default-src 'none'";

/** Whether an object of `contentType` may be shown inline: a media type (one of `inlineTypes` when given) that is not markup. */
export function servesInline(contentType: string, inlineTypes?: readonly string[]): boolean {
  const type = contentType.trim().toLowerCase();
  if (MARKUP.test(type) || !MEDIA.test(type)) return false;
  return inlineTypes ? inlineTypes.includes(type) : true;
}

/** The Content-Type, Content-Disposition and safety headers of a GET of `key`; `filename` (a signed download name) always makes it a download. */
export function servedHeaders(key: string, contentType: string, options: { filename?: string; inlineTypes?: readonly string[] }): Record<string, string> {
  const inline = !options.filename && servesInline(contentType, options.inlineTypes);
  return {
    'content-type': inline ? contentType : 'application/octet-stream',
    'content-disposition': inline ? 'inline' : attachment(options.filename || key.split('/').at(-1)!),
    'x-content-type-options': 'nosniff',
    'content-security-policy': SANDBOX_CSP,
  };
}
