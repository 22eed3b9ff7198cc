/**
 * `Content-Disposition: attachment` naming a download `filename` (RFC 6266), the same from every
 * store: a plain `filename` for old clients, with `"`, `\`, `%` (which some clients percent-decode)
 * and anything outside printable ASCII replaced by `_`, and the exact name as RFC 8187's
 * `filename*=UTF-8''…`, in RFC 5987's attr-chars (encodeURIComponent leaves `'()*` as they are).
 */
export function attachment(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
