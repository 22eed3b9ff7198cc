import { badRequest } from '../../errors.ts';

/** The two byte-range headers the local store reads, parsed as pure functions. */

/**
 * The first byte a single PUT's body continues from: 0 without a `Content-Range`; with
 * `bytes <first>-<last>/<size>`, `first`, once the header is checked against the signed length.
 */
export function continuedFrom(value: string | undefined, signedLength: number | undefined): number {
  if (value === undefined) return 0;
  if (signedLength === undefined) {
    throw badRequest('Content-Range continues a single PUT whose URL was signed for an exact length; this URL was not.', 'invalid_range');
  }
  const match = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(value.trim());
  const [first, last, size] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
  if (first === undefined || size !== signedLength || last !== signedLength - 1 || first > last) {
    throw badRequest(`Content-Range must read "bytes <first>-${signedLength - 1}/${signedLength}": the rest of the object this URL was signed for.`, 'invalid_range');
  }
  return first;
}

/**
 * A single `bytes=` range as inclusive offsets; `null` to serve the whole object (no range,
 * or one we do not handle such as several ranges, which RFC 9110 lets us ignore).
 */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = value === undefined ? null : /^bytes=(\d{0,16})-(\d{0,16})$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (match[2] !== '' && Number(match[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1) };
}
