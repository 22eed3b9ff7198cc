/**
 * Hostile JSON bodies on every endpoint that takes one: broken, huge and deep JSON, bodies of
 * the wrong type, lying content types, and each field wrong in every way a client can make
 * it (type, range, missing, extra, NUL, lone surrogates, bidi overrides, 10,000 characters,
 * other users' ids). Each is refused with the right 4xx in the one error shape, and writes nothing.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { BAD_CHARACTERS, call, expectApiError, useHostileApp, type Fixtures } from './fixture.ts';

const h = useHostileApp();
const MiB = 1024 * 1024;

interface Endpoint {
  name: string;
  method: 'POST' | 'PATCH';
  path: (fx: Fixtures) => string;
  /** A body of the right shape; field cases spoil one field of it. */
  base: (fx: Fixtures) => Record<string, unknown>;
}

const ENDPOINTS: Endpoint[] = [
  { name: 'POST /api/v1/uploads', method: 'POST', path: () => '/api/v1/uploads', base: () => ({ filename: 'clip.mp4', size: 1000, content_type: 'video/mp4', kind: 'video' }) },
  { name: 'POST /api/v1/uploads/:id/parts', method: 'POST', path: (fx) => `/api/v1/uploads/${fx.aliceMultipart.id}/parts`, base: () => ({ part_numbers: [1] }) },
  { name: 'POST /api/v1/uploads/:id/complete', method: 'POST', path: (fx) => `/api/v1/uploads/${fx.aliceMultipart.id}/complete`, base: () => ({ parts: [] }) },
  { name: 'POST /api/v1/videos', method: 'POST', path: () => '/api/v1/videos', base: (fx) => ({ title: 'T', description: 'D', upload_id: fx.aliceVideoUpload.id }) },
  { name: 'POST /api/v1/photos', method: 'POST', path: () => '/api/v1/photos', base: (fx) => ({ title: 'T', description: 'D', upload_id: fx.alicePhotoUpload.id }) },
  { name: 'PATCH /api/v1/videos/:id', method: 'PATCH', path: (fx) => `/api/v1/videos/${fx.aliceVideo.id}`, base: () => ({ title: 'T', description: 'D' }) },
  { name: 'PATCH /api/v1/photos/:id', method: 'PATCH', path: (fx) => `/api/v1/photos/${fx.alicePhoto.id}`, base: () => ({ title: 'T', description: 'D' }) },
  { name: 'POST /api/save-video-metadata/', method: 'POST', path: () => '/api/save-video-metadata/', base: (fx) => ({ title: 'T', description: 'D', file_key: fx.aliceSeedVideo.file_key }) },
  { name: 'POST /api/save-photo-metadata/', method: 'POST', path: () => '/api/save-photo-metadata/', base: (fx) => ({ title: 'T', description: 'D', file_key: fx.aliceSeedPhoto.file_key }) },
];
const endpoint = (name: string) => ENDPOINTS.find((e) => e.name === name)!;

const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

/** Bodies no endpoint can take, whatever it expects. */
const RAW_BODIES: { name: string; body: string | Uint8Array<ArrayBuffer>; contentType: string | null; status: number; code?: string }[] = [
  { name: 'truncated JSON', body: '{"title": ', contentType: 'application/json', status: 400, code: 'invalid_json' },
  { name: 'JSON followed by garbage', body: '{"title": "x"} trailing', contentType: 'application/json', status: 400, code: 'invalid_json' },
  { name: 'single-quoted JSON', body: "{'title': 'x'}", contentType: 'application/json', status: 400, code: 'invalid_json' },
  { name: 'a raw NUL inside a JSON string', body: '{"title": "a\u0000b"}', contentType: 'application/json', status: 400, code: 'invalid_json' },
  { name: 'an empty body declared as JSON', body: '', contentType: 'application/json', status: 400 },
  { name: 'JSON null', body: 'null', contentType: 'application/json', status: 400 },
  { name: 'a JSON array', body: '[]', contentType: 'application/json', status: 400 },
  { name: 'a JSON string', body: '"title"', contentType: 'application/json', status: 400 },
  { name: 'a JSON number beyond 2^53', body: '9007199254740993', contentType: 'application/json', status: 400 },
  { name: 'JSON true', body: 'true', contentType: 'application/json', status: 400 },
  { name: 'a 10 MB body', body: JSON.stringify({ title: 'x'.repeat(10 * MiB) }), contentType: 'application/json', status: 413 },
  { name: 'an array 10,000 levels deep', body: nested(10_000, '[', ']'), contentType: 'application/json', status: 400 },
  { name: 'an object 10,000 levels deep', body: nested(10_000, '{"title":', '}', '"x"'), contentType: 'application/json', status: 400 },
  { name: 'an array 100,000 levels deep', body: nested(100_000, '[', ']'), contentType: 'application/json', status: 400 },
  { name: 'a __proto__ key (prototype pollution)', body: '{"__proto__": {"is_admin": true}, "title": "x"}', contentType: 'application/json', status: 400 },
  { name: 'a constructor.prototype key (prototype pollution)', body: '{"constructor": {"prototype": {"is_admin": true}}, "title": "x"}', contentType: 'application/json', status: 400 },
  { name: 'bytes that are not UTF-8', body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), contentType: 'application/json', status: 400 },
  { name: 'a UTF-16 body declared as JSON', body: new Uint8Array(Buffer.from('{"title":"x"}', 'utf16le')), contentType: 'application/json', status: 400 },
  { name: 'JSON sent as text/plain', body: '{"title": "x"}', contentType: 'text/plain', status: 400 },
  { name: 'JSON sent as a form', body: '{"title": "x"}', contentType: 'application/x-www-form-urlencoded', status: 400 },
  { name: 'JSON sent as XML', body: '{"title": "x"}', contentType: 'application/xml', status: 415 },
  { name: 'JSON sent as multipart/form-data', body: '{"title": "x"}', contentType: 'multipart/form-data; boundary=x', status: 415 },
  { name: 'a body without a content type', body: new Uint8Array(Buffer.from('{"title": "x"}')), contentType: null, status: 415 },
  { name: 'a content type that is not one', body: '{"title": "x"}', contentType: 'json', status: 415 },
];

describe.each(ENDPOINTS)('$name', (e) => {
  it.each(RAW_BODIES)('refuses $name with $status', async ({ body, contentType, status, code }) => {
    const res = await call(h, e.method, e.path(h.fx), { body, contentType });
    await expectApiError(res, status, code);
  });
});

// ---- Field by field --------------------------------------------------------------------

type FieldCase = [name: string, change: (fx: Fixtures) => Record<string, unknown>, status: number, code?: string];

const long = (n: number) => 'x'.repeat(n);
/** Every way a text field can be wrong, for a field named `field` that holds at most `max` characters. */
function textCases(field: string, max: number, options: { required?: boolean; nullable?: boolean } = {}): FieldCase[] {
  const cases: FieldCase[] = [
    [`${field} a number`, () => ({ [field]: 42 }), 400],
    [`${field} an array`, () => ({ [field]: ['x'] }), 400],
    [`${field} an object`, () => ({ [field]: { toString: 'x' } }), 400],
    [`${field} true`, () => ({ [field]: true }), 400],
    [`${field} of ${max + 1} characters`, () => ({ [field]: long(max + 1) }), 400],
    [`${field} of 100,000 characters`, () => ({ [field]: long(100_000) }), 400],
    ...BAD_CHARACTERS.map(([name, char]): FieldCase => [`${field} with ${name}`, () => ({ [field]: `a${char}b` }), 400]),
  ];
  if (options.required) cases.push([`${field} missing`, () => ({ [field]: undefined }), 400], [`${field} empty`, () => ({ [field]: '' }), 400]);
  if (!options.nullable) cases.push([`${field} null`, () => ({ [field]: null }), 400]);
  return cases;
}

const numberCases = (field: string): FieldCase[] => [
  [`${field} a string`, () => ({ [field]: '1000' }), 400],
  [`${field} negative`, () => ({ [field]: -1 }), 400],
  [`${field} fractional`, () => ({ [field]: 1.5 }), 400],
  [`${field} beyond 2^53`, () => ({ [field]: 2 ** 53 + 2 }), 400],
  [`${field} 1e308`, () => ({ [field]: 1e308 }), 400],
  [`${field} null`, () => ({ [field]: null }), 400],
  [`${field} an array`, () => ({ [field]: [1000] }), 400],
];

const uuidCases = (field: string, kind: 'video' | 'photo'): FieldCase[] => [
  [`${field} not a uuid`, () => ({ [field]: 'abc' }), 400],
  [`${field} 36 dashes`, () => ({ [field]: '-'.repeat(36) }), 400],
  [`${field} 36 zeros`, () => ({ [field]: '0'.repeat(36) }), 400],
  [`${field} with a NUL`, (fx) => ({ [field]: fx.aliceVideoUpload.id.slice(0, -1) + '\u0000' }), 400],
  [`${field} a number`, () => ({ [field]: 1 }), 400],
  [`${field} a guessed uuid`, () => ({ [field]: '7d444840-9dc0-11d1-b245-5ffdce74fad2' }), 404],
  [`${field} the nil uuid`, () => ({ [field]: '00000000-0000-0000-0000-000000000000' }), 404],
  [`${field} of another user's upload`, (fx) => ({ [field]: fx.bobVideoUpload.id }), 404],
  [`${field} of a pending upload`, (fx) => ({ [field]: kind === 'video' ? fx.alicePending.id : fx.alicePendingPhoto.id }), 409, 'upload_not_completed'],
  [`${field} of an upload a record uses`, (fx) => ({ [field]: kind === 'video' ? uploadIdOf(fx.aliceVideo.key) : uploadIdOf(fx.alicePhoto.key) }), 409, 'upload_in_use'],
  [`${field} of an upload of another kind`, (fx) => ({ [field]: kind === 'video' ? fx.alicePhotoUpload.id : fx.aliceVideoUpload.id }), 400, 'wrong_kind'],
];

/** Upload ids are only in the database; the fixture keeps them by key. */
const uploadIds = new Map<string, string>();
const uploadIdOf = (key: string) => uploadIds.get(key)!;

const FIELD_CASES: Record<string, FieldCase[]> = {
  'POST /api/v1/uploads': [
    ...textCases('filename', 255, { required: true }),
    ...numberCases('size'),
    [`size missing`, () => ({ size: undefined }), 400],
    [`size zero`, () => ({ size: 0 }), 400, 'empty_file'],
    [`size above the video limit`, () => ({ size: 50 * 1024 ** 3 + 1 }), 413, 'too_large'],
    [`size above the largest object`, () => ({ size: 6 * 1024 ** 4 }), 413, 'too_large'],
    ...textCases('content_type', 255, { required: true }),
    [`content_type not allowed`, () => ({ content_type: 'text/html' }), 415, 'unsupported_type'],
    [`content_type with CR/LF`, () => ({ content_type: 'video/mp4\r\nX-Injected: 1' }), 400],
    [`content_type with parameters`, () => ({ content_type: 'video/mp4; codecs=avc1' }), 415, 'unsupported_type'],
    [`kind unknown`, () => ({ kind: 'audio' }), 400],
    [`kind in upper case`, () => ({ kind: 'VIDEO' }), 400],
    [`kind missing`, () => ({ kind: undefined }), 400],
    [`kind a number`, () => ({ kind: 1 }), 400],
    ...numberCases('part_size'),
    [`part_size below 5 MiB`, () => ({ size: 20 * MiB, part_size: 4 * MiB }), 400, 'invalid_part_size'],
    [`part_size above 5 GiB`, () => ({ size: 20 * MiB, part_size: 6 * 1024 ** 3 }), 400, 'invalid_part_size'],
    [`an extra field owner_id`, () => ({ owner_id: 1 }), 400],
    [`an extra field key`, () => ({ key: 'videos/mine.mp4' }), 400],
    [`an extra field state`, () => ({ state: 'completed' }), 400],
    [`a field name in mixed case`, () => ({ Filename: 'x.mp4' }), 400],
  ],
  'POST /api/v1/uploads/:id/parts': [
    [`part_numbers missing`, () => ({ part_numbers: undefined }), 400],
    [`part_numbers empty`, () => ({ part_numbers: [] }), 400],
    [`part_numbers a number`, () => ({ part_numbers: 1 }), 400],
    [`part number 0`, () => ({ part_numbers: [0] }), 400],
    [`part number -1`, () => ({ part_numbers: [-1] }), 400],
    [`part number 1.5`, () => ({ part_numbers: [1.5] }), 400],
    [`part number 10,001`, () => ({ part_numbers: [10_001] }), 400],
    [`part number beyond 2^53`, () => ({ part_numbers: [2 ** 53 + 2] }), 400],
    [`part number a string`, () => ({ part_numbers: ['1'] }), 400],
    [`part number beyond the upload's parts`, () => ({ part_numbers: [4] }), 400, 'invalid_part_number'],
    [`1,001 part numbers`, () => ({ part_numbers: Array.from({ length: 1001 }, (_, i) => (i % 3) + 1) }), 400],
    [`content_md5 not base64 MD5`, () => ({ content_md5: { 1: 'abc' } }), 400],
    [`content_md5 for a part named by letters`, () => ({ content_md5: { one: '1B2M2Y8AsgTpgAmY7PhCfg==' } }), 400],
    [`content_md5 an array`, () => ({ content_md5: ['1B2M2Y8AsgTpgAmY7PhCfg=='] }), 400],
    [`an extra field`, () => ({ upload_id: 'x' }), 400],
  ],
  'POST /api/v1/uploads/:id/complete': [
    [`parts not an array`, () => ({ parts: 'all' }), 400],
    [`parts missing numbers`, () => ({ parts: [{ part_number: 1, etag: 'x' }] }), 400, 'missing_parts'],
    [`a part without an etag`, () => ({ parts: [{ part_number: 1 }] }), 400],
    [`a part with an empty etag`, () => ({ parts: [{ part_number: 1, etag: '' }] }), 400],
    [`a part with an etag of 201 characters`, () => ({ parts: [{ part_number: 1, etag: long(201) }] }), 400],
    [`a part with an etag holding a NUL`, () => ({ parts: [1, 2, 3].map((n) => ({ part_number: n, etag: `"a\u0000"` })) }), 400],
    [`a part with an etag holding a lone surrogate`, () => ({ parts: [1, 2, 3].map((n) => ({ part_number: n, etag: `"a\uD800"` })) }), 400],
    [`parts with etags never stored`, () => ({ parts: [1, 2, 3].map((n) => ({ part_number: n, etag: '"0123456789abcdef0123456789abcdef"' })) }), 400],
    [`parts with XML in the etags`, () => ({ parts: [1, 2, 3].map((n) => ({ part_number: n, etag: '"</ETag><x>&amp;"' })) }), 400],
    [`part number 0`, () => ({ parts: [{ part_number: 0, etag: 'x' }] }), 400],
    [`a part with an extra field`, () => ({ parts: [{ part_number: 1, etag: 'x', size: 1 }] }), 400],
    [`the same part twice`, () => ({ parts: [1, 1, 2].map((n) => ({ part_number: n, etag: 'x' })) }), 400, 'missing_parts'],
    [`10,001 parts`, () => ({ parts: Array.from({ length: 10_001 }, (_, i) => ({ part_number: (i % 10_000) + 1, etag: 'x' })) }), 400],
  ],
  'POST /api/v1/videos': [
    ...textCases('title', 255, { required: true }),
    [`title only spaces`, () => ({ title: '   ' }), 400],
    ...textCases('description', 10_000, { nullable: true }),
    ...uuidCases('upload_id', 'video'),
    [`upload_id missing`, () => ({ upload_id: undefined }), 400],
    [`cover_upload_id of a video upload`, (fx) => ({ cover_upload_id: fx.aliceVideoUpload.id }), 400, 'wrong_kind'],
    [`cover_upload_id 36 dashes`, () => ({ cover_upload_id: '-'.repeat(36) }), 400],
    [`cover_upload_id of another user's upload`, (fx) => ({ cover_upload_id: fx.bobVideoUpload.id }), 404],
    [`an extra field owner_id`, () => ({ owner_id: 2 }), 400],
    [`an extra field file_key`, (fx) => ({ file_key: fx.bobVideo.key }), 400],
    [`a field name in mixed case`, () => ({ Title: 'x' }), 400],
  ],
  'POST /api/v1/photos': [
    ...textCases('title', 255, { required: true }),
    ...textCases('description', 10_000, { nullable: true }),
    ...uuidCases('upload_id', 'photo'),
    [`a cover_upload_id (videos only)`, (fx) => ({ cover_upload_id: fx.aliceCoverUpload.id }), 400],
    [`an extra field owner_id`, () => ({ owner_id: 2 }), 400],
  ],
  'PATCH /api/v1/videos/:id': [
    ...textCases('title', 255, { required: true }).filter(([name]) => !name.endsWith('missing')),
    ...textCases('description', 10_000, { nullable: true }),
    [`an extra field file_key`, (fx) => ({ file_key: fx.bobVideo.key }), 400],
    [`an extra field owner_id`, () => ({ owner_id: 2 }), 400],
    [`an extra field size`, () => ({ size: 1 }), 400],
  ],
  'PATCH /api/v1/photos/:id': [
    ...textCases('title', 255, { required: true }).filter(([name]) => !name.endsWith('missing')),
    ...textCases('description', 10_000, { nullable: true }),
    [`an extra field file_key`, (fx) => ({ file_key: fx.bobVideo.key }), 400],
  ],
  'POST /api/save-video-metadata/': [
    ...textCases('title', 255, { required: true }),
    ...textCases('description', 10_000, { nullable: true }),
    ...textCases('file_key', 500, { required: true }),
    [`file_key of another user's upload`, (fx) => ({ file_key: fx.bobSeedVideo.file_key }), 404],
    [`file_key guessed`, () => ({ file_key: 'videos/7d444840-9dc0-11d1-b245-5ffdce74fad2.mp4' }), 404],
    [`file_key with ../`, () => ({ file_key: '../../etc/passwd' }), 404],
    [`file_key percent-encoded ../`, () => ({ file_key: '%2e%2e%2f%2e%2e%2fetc%2fpasswd' }), 404],
    [`file_key of a saved video`, (fx) => ({ file_key: fx.aliceVideo.key }), 409, 'upload_in_use'],
    [`file_key of a photo`, (fx) => ({ file_key: fx.aliceSeedPhoto.file_key }), 400, 'wrong_kind'],
    [`file_key in upper case`, (fx) => ({ file_key: fx.aliceSeedVideo.file_key.toUpperCase() }), 404],
    ...textCases('cover_file_key', 500, { nullable: true }),
    [`cover_file_key of a video`, (fx) => ({ cover_file_key: fx.aliceSeedVideo.file_key }), 400, 'wrong_kind'],
    ...textCases('public_url', 4096, { nullable: true }).filter(([name]) => !name.includes('100,000')),
  ],
  'POST /api/save-photo-metadata/': [
    ...textCases('title', 255, { required: true }),
    ...textCases('description', 10_000, { nullable: true }),
    ...textCases('file_key', 500, { required: true }),
    [`file_key of a video`, (fx) => ({ file_key: fx.aliceSeedVideo.file_key }), 400, 'wrong_kind'],
    [`file_key of another user's upload`, (fx) => ({ file_key: fx.bobSeedVideo.file_key }), 404],
  ],
};

describe.each(ENDPOINTS)('$name', (e) => {
  it.each(FIELD_CASES[e.name]!)('refuses %s', async (_name, change, status, code) => {
    if (uploadIds.size === 0) {
      for (const row of await h.t.app.db.selectFrom('uploads').select(['id', 'key']).execute()) uploadIds.set(row.key, row.id);
    }
    const json = { ...e.base(h.fx), ...change(h.fx) };
    const res = await call(h, e.method, e.path(h.fx), { body: JSON.stringify(json), contentType: 'application/json' });
    await expectApiError(res, status, code);
  });
});

describe('duplicate keys in one object (the last one wins, and is checked)', () => {
  it.each([
    ['POST /api/v1/uploads', '{"filename":"a.mp4","size":1000,"content_type":"video/mp4","kind":"video","size":-5}'],
    ['POST /api/v1/uploads', '{"filename":"a.mp4","size":1000,"content_type":"video/mp4","kind":"video","kind":"exe"}'],
    ['PATCH /api/v1/videos/:id', '{"title":"fine","title":""}'],
    ['PATCH /api/v1/photos/:id', '{"title":"fine","title":"a\\u0000b"}'],
    ['POST /api/save-video-metadata/', '{"title":"t","file_key":"videos/x.mp4","title":null}'],
  ])('%s refuses %s', async (name, body) => {
    const e = endpoint(name);
    await expectApiError(await call(h, e.method, e.path(h.fx), { body, contentType: 'application/json' }), 400);
  });
});

// ---- Generated variants --------------------------------------------------------------

/** Asserts a refusal in the one shape, for property runs (no vitest expect inside, so failures shrink). */
async function refused(res: Response, statuses: number[]): Promise<boolean> {
  const text = await res.text();
  if (!statuses.includes(res.status)) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || body.error.message.length < 6) throw new Error(`not the error shape: ${text}`);
  return true;
}

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

describe.each(ENDPOINTS)('$name, generated', (e) => {
  it('refuses any JSON value that is not the body it takes, in the one shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }).filter((v) => !isEmptyObject(v)),
        async (value) => refused(await call(h, e.method, e.path(h.fx), { body: JSON.stringify(value), contentType: 'application/json' }), [400]),
      ),
      { numRuns: 40 },
    );
  });
});

const TITLED = ENDPOINTS.filter((e) => ['POST /api/v1/videos', 'POST /api/v1/photos', 'PATCH /api/v1/videos/:id', 'PATCH /api/v1/photos/:id', 'POST /api/save-video-metadata/', 'POST /api/save-photo-metadata/'].includes(e.name));
const badChar = fc.constantFrom(...BAD_CHARACTERS.map(([, char]) => char), '\u0001', '\u001F', '\u009F', '\u202A', '\u202D', '\u2066', '\u2069', '\uDBFF');
/** Any text with one bad character somewhere in it. */
const spoiled = fc.tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), badChar, fc.string({ unit: 'grapheme', maxLength: 20 })).map(([a, bad, b]) => `${a}${bad}${b}`);

describe.each(TITLED)('$name, generated', (e) => {
  it('refuses a title or description with a bad character anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(spoiled, fc.constantFrom('title', 'description'), async (text, field) =>
        refused(await call(h, e.method, e.path(h.fx), { json: { ...e.base(h.fx), [field]: text } }), [400]),
      ),
      { numRuns: 30 },
    );
  });
});

describe('POST /api/v1/uploads, generated', () => {
  it('refuses any size that is not a whole, positive number of bytes within the limit', async () => {
    const e = endpoint('POST /api/v1/uploads');
    const badSize = fc.oneof(
      fc.double({ noInteger: true }).filter(Number.isFinite),
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.double({ min: 2 ** 53, max: 1e300 }),
      fc.integer({ min: 50 * 1024 ** 3 + 1, max: Number.MAX_SAFE_INTEGER }),
    );
    await fc.assert(
      fc.asyncProperty(badSize, async (size) => {
        const res = await call(h, e.method, e.path(h.fx), { json: { ...e.base(h.fx), size } });
        return refused(res, Number.isSafeInteger(size) && size > 0 ? [413] : [400]);
      }),
      { numRuns: 40 },
    );
  });
});
