/**
 * Hostile filenames, on both ways to ask for an upload (the seed's query and the versioned
 * JSON API): `../` and its encodings, NUL and control characters, CR/LF, lone surrogates,
 * bidi overrides that disguise an extension, Windows' reserved device names, 10,000
 * characters. A filename is only shown back and logged (keys are the server's), but each of
 * these is refused with 400 in the one error shape, before any ticket or object exists.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { BAD_CHARACTERS, call, expectApiError, useHostileApp } from './fixture.ts';

const h = useHostileApp();

const NAMES: [name: string, filename: string][] = [
  ['an empty name', ''],
  ['only spaces', '   '],
  ['a dot', '.'],
  ['two dots', '..'],
  ['a slash', '/'],
  ['a folder without a name', 'videos/'],
  ['../', '../x.mp4'],
  ['..\\', '..\\x.mp4'],
  ['../ deep inside', 'a/../../x.mp4'],
  ['..\\ deep inside', 'a\\..\\..\\windows\\x.mp4'],
  ['a NUL before the extension', 'x\u0000.mp4'],
  ['a NUL between two extensions', 'x.mp4\u0000.jpg'],
  ['CR/LF', 'x\r\nSet-Cookie: a=b.mp4'],
  ['a line feed', 'x\n.mp4'],
  ['a tab', 'x\t.mp4'],
  ['a bell', 'x\u0007.mp4'],
  ['a DEL', 'x\u007f.mp4'],
  ['a C1 control', 'x\u0085.mp4'],
  ['a right-to-left override disguising .exe', 'clip\u202E4pm.exe'],
  ['a right-to-left override before the extension', 'clip\u202E.mp4'],
  ['a left-to-right embedding', '\u202Ax.mp4'],
  ['a bidi isolate', '\u2066x.mp4'],
  ['a lone high surrogate', 'x\uD800.mp4'],
  ['a lone low surrogate', 'x\uDFFF.mp4'],
  ['256 characters', 'a'.repeat(252) + '.mp4'],
  ['10,000 characters', 'a'.repeat(10_000) + '.mp4'],
  ['Windows’ CON', 'CON.mp4'],
  ['Windows’ con in lower case', 'con.mp4'],
  ['Windows’ NUL', 'NUL.mp4'],
  ['Windows’ PRN', 'PRN.mp4'],
  ['Windows’ AUX', 'AUX.mp4'],
  ['Windows’ COM1', 'COM1.mp4'],
  ['Windows’ LPT9', 'LPT9.mp4'],
  ['Windows’ nul without an extension', 'nul'],
  ['Windows’ CON with two extensions', 'con.tar.mp4'],
];

/** A query string carries UTF-8: a lone surrogate cannot be sent in one (the JSON API takes it, escaped). */
const isWellFormed = (s: string) => !/[\uD800-\uDFFF]/u.test(s);

describe('GET /api/generate-presigned-url/ (the seed’s query)', () => {
  it.each(NAMES.filter(([, filename]) => isWellFormed(filename)))('refuses %s with 400', async (_name, filename) => {
    await expectApiError(await call(h, 'GET', `/api/generate-presigned-url/?type=video&filename=${encodeURIComponent(filename)}`), 400, /^(invalid_filename|invalid_request)$/);
  });
  it.each([
    ['%2e%2e%2f (encoded ../)', '%2e%2e%2fx.mp4'],
    ['..%2f', '..%2fx.mp4'],
    ['..%5c (encoded ..\\)', '..%5cx.mp4'],
    ['%00 (encoded NUL)', 'x%00.mp4'],
    ['%0d%0a (encoded CR/LF)', 'x%0d%0a.mp4'],
  ])('refuses %s with 400', async (_name, encoded) => {
    await expectApiError(await call(h, 'GET', `/api/generate-presigned-url/?type=video&filename=${encoded}`), 400);
  });
});

describe('POST /api/v1/uploads', () => {
  it.each(NAMES)('refuses %s with 400', async (_name, filename) => {
    const res = await call(h, 'POST', '/api/v1/uploads', { json: { filename, size: 1000, content_type: 'video/mp4', kind: 'video' } });
    await expectApiError(res, 400, /^(invalid_filename|invalid_request)$/);
  });
});

describe('generated', () => {
  const badChar = fc.constantFrom(...BAD_CHARACTERS.map(([, char]) => char), '\r', '\n', '\u202B', '\u2067', '\uDBFF');
  const spoiledName = fc
    .tuple(fc.string({ unit: 'grapheme', maxLength: 30 }), badChar, fc.string({ unit: 'grapheme', maxLength: 30 }))
    .map(([a, bad, b]) => `${a}${bad}${b}.mp4`);
  const traversal = fc
    .tuple(fc.array(fc.constantFrom('..', 'a', '.', 'b c'), { minLength: 1, maxLength: 5 }), fc.constantFrom('/', '\\'))
    .filter(([segments]) => segments.includes('..'))
    .map(([segments, sep]) => [...segments, 'x.mp4'].join(sep));

  /** Throws (so fast-check shrinks) unless the answer is a 400 in the one shape. */
  async function refused400(res: Response): Promise<boolean> {
    const text = await res.text();
    if (res.status !== 400 || !/^\{"error":\{"code":"[a-z_]+","message":"[^"]{6,}/.test(text)) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`);
    return true;
  }

  it.each([
    ['a bad character anywhere', spoiledName],
    ['a ../ or ..\\ segment anywhere', traversal],
  ])('the seed’s query refuses a name with %s', async (_name, names) => {
    await fc.assert(
      fc.asyncProperty(names.filter(isWellFormed), async (filename) => refused400(await call(h, 'GET', `/api/generate-presigned-url/?type=video&filename=${encodeURIComponent(filename)}`))),
      { numRuns: 50 },
    );
  });
  it.each([
    ['a bad character anywhere', spoiledName],
    ['a ../ or ..\\ segment anywhere', traversal],
  ])('the JSON API refuses a name with %s', async (_name, names) => {
    await fc.assert(
      fc.asyncProperty(names, async (filename) => refused400(await call(h, 'POST', '/api/v1/uploads', { json: { filename, size: 1000, content_type: 'video/mp4', kind: 'video' } }))),
      { numRuns: 50 },
    );
  });
});
