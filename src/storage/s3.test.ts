import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { CompleteMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { R2Config } from '../config.ts';
import { createBucket, deleteBucket } from '../../test/s3-server.ts';
import { storageContract, type ContractStore } from './contract.ts';
import { StorageError } from './driver.ts';
import { checkCors, corsRulesFor, createS3Store, partsProblem, storageErrorFrom, type S3Store } from './s3.ts';

const MiB = 1024 ** 2;
const ORIGIN = 'http://localhost:3000';

const s3 = inject('s3');

const sdkOptions = (config: R2Config) => ({
  endpoint: config.endpoint,
  region: config.region,
  credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
});

/** A fresh bucket on the test gateway and a driver on it. */
async function freshStore(): Promise<ContractStore & { driver: S3Store }> {
  const bucket = `airlift-${randomUUID().slice(0, 13)}`;
  await createBucket(s3.config, bucket);
  const driver = await createS3Store({ ...s3.config, bucket });
  return {
    driver,
    etagOf: (body) => createHash('md5').update(body).digest('hex'),
    async close() {
      await driver.close();
      await deleteBucket(s3.config, bucket);
    },
  };
}

async function put(url: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'PUT', body, headers });
  return { status: response.status, text: await response.text(), etag: response.headers.get('etag') ?? '' };
}

const md5 = (data: Uint8Array | string) => createHash('md5').update(data).digest('base64');

async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

storageContract('S3 driver on Ceph RGW', freshStore);

describe('S3 driver against Ceph RGW', () => {
  let store: { driver: S3Store; close(): Promise<void> };
  let driver: S3Store;
  beforeAll(async () => {
    store = await freshStore();
    driver = store.driver;
  });
  afterAll(() => store?.close());

  describe('presigned PUT', () => {
    const body = 'a small photo';
    const sign = (key: string, extra: { contentLength?: number; contentMd5?: string; expiresIn?: number } = {}) =>
      driver.presignPut(key, { contentType: 'image/jpeg', expiresIn: 60, contentLength: body.length, ...extra });

    it('signs content type and length, adds no SDK checksum, and the store accepts the exact request', async () => {
      const signed = await sign('photos/ok.jpg');
      const query = new URL(signed.url).searchParams;
      expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
      expect([...query.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
      expect(signed.headers).toEqual({ 'Content-Type': 'image/jpeg' });
      expect((await put(signed.url, body, signed.headers)).status).toBe(200);
      expect(await driver.head('photos/ok.jpg')).toMatchObject({ size: body.length, contentType: 'image/jpeg' });
    });

    it.each([
      ['another content type', async (url: string) => put(url, body, { 'Content-Type': 'text/html' })],
      ['a longer body than signed', async (url: string) => put(url, body + 'more', { 'Content-Type': 'image/jpeg' })],
      [
        'a tampered signature',
        async (url: string) => {
          const u = new URL(url);
          const signature = u.searchParams.get('X-Amz-Signature')!;
          u.searchParams.set('X-Amz-Signature', (signature[0] === '0' ? '1' : '0') + signature.slice(1));
          return put(u.toString(), body, { 'Content-Type': 'image/jpeg' });
        },
      ],
      ['another key', async (url: string) => put(url.replace('/photos/refused.jpg', '/photos/other.jpg'), body, { 'Content-Type': 'image/jpeg' })],
    ])('is refused for %s, and no object is left', async (_case, send) => {
      const signed = await sign('photos/refused.jpg');
      const answer = await send(signed.url);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('<Code>SignatureDoesNotMatch</Code>');
      expect(await driver.head('photos/refused.jpg')).toBeNull();
      expect(await driver.head('photos/other.jpg')).toBeNull();
    });

    it('is refused once expired', async () => {
      const signed = await sign('photos/expired.jpg', { expiresIn: 1 });
      expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const answer = await put(signed.url, body, signed.headers);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('<Code>AccessDenied</Code>');
      expect(await driver.head('photos/expired.jpg')).toBeNull();
    });

    it('binds Content-MD5 when given: the right body is stored, another body of the same length is refused', async () => {
      const signed = await sign('photos/md5.jpg', { contentMd5: md5(body) });
      expect(signed.headers).toEqual({ 'Content-Type': 'image/jpeg', 'Content-MD5': md5(body) });
      const corrupted = await put(signed.url, body.toUpperCase(), signed.headers);
      expect(corrupted.status).toBe(400);
      expect(corrupted.text).toContain('<Code>BadDigest</Code>');
      expect(await driver.head('photos/md5.jpg')).toBeNull();
      expect((await put(signed.url, body, signed.headers)).status).toBe(200);
    });
  });

  describe('multipart', () => {
    const part = (size: number, fill: number) => new Uint8Array(size).fill(fill);

    async function upload(key: string, sizes: number[]) {
      const uploadId = await driver.createMultipart(key, { contentType: 'video/mp4' });
      const parts: { partNumber: number; etag: string }[] = [];
      for (const [i, size] of sizes.entries()) {
        const signed = await driver.presignPart(key, uploadId, i + 1, { expiresIn: 60, contentLength: size });
        const answer = await put(signed.url, part(size, i + 1), signed.headers);
        expect(answer.status).toBe(200);
        parts.push({ partNumber: i + 1, etag: answer.etag });
      }
      return { uploadId, parts };
    }

    it('completes; the ETag comes from head (RGW answers Complete with an empty one)', async () => {
      const key = 'videos/whole.mp4';
      const { uploadId, parts } = await upload(key, [5 * MiB, 5 * MiB, 1234]);
      expect((await driver.listParts(key, uploadId)).map((p) => [p.partNumber, p.size])).toEqual([
        [1, 5 * MiB],
        [2, 5 * MiB],
        [3, 1234],
      ]);
      await driver.completeMultipart(key, uploadId, parts);
      const info = await driver.head(key);
      expect(info).toMatchObject({ size: 10 * MiB + 1234, contentType: 'video/mp4' });
      expect(info?.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
    });

    it('a part whose body is longer than its signed length is refused', async () => {
      const key = 'videos/long-part.mp4';
      const uploadId = await driver.createMultipart(key, { contentType: 'video/mp4' });
      const signed = await driver.presignPart(key, uploadId, 1, { expiresIn: 60, contentLength: 100 });
      expect((await put(signed.url, part(101, 1))).status).toBe(403);
      expect(await driver.listParts(key, uploadId)).toEqual([]);
      await driver.abortMultipart(key, uploadId);
    });

    it('a part with Content-MD5 is checked by the store', async () => {
      const key = 'videos/md5-part.mp4';
      const uploadId = await driver.createMultipart(key, { contentType: 'video/mp4' });
      const data = part(1000, 7);
      const signed = await driver.presignPart(key, uploadId, 1, { expiresIn: 60, contentLength: 1000, contentMd5: md5(data) });
      expect(signed.headers).toEqual({ 'Content-MD5': md5(data) });
      expect((await put(signed.url, part(1000, 8), signed.headers)).status).toBe(400);
      expect((await put(signed.url, data, signed.headers)).status).toBe(200);
      await driver.abortMultipart(key, uploadId);
    });

    // R2 refuses unequal parts (InvalidPart); RGW, like AWS S3, only wants every part but the
    // last to be >= 5 MiB. So the driver checks R2's rule itself, and tests on RGW see R2's behaviour.
    it('refuses unequal parts itself, which RGW alone would accept', async () => {
      const sizes = [6 * MiB, 5 * MiB, 100];
      const refused = await upload('videos/unequal.mp4', sizes);
      const error = await storageError(driver.completeMultipart('videos/unequal.mp4', refused.uploadId, refused.parts));
      expect(error.code).toBe('invalid_part');
      expect(error.message).toContain(`part 2 is ${5 * MiB} bytes but part 1 is ${6 * MiB}`);
      expect((await driver.listParts('videos/unequal.mp4', refused.uploadId)).map((p) => p.size)).toEqual(sizes);

      const raw = new S3Client({ ...sdkOptions(s3.config), forcePathStyle: true });
      const accepted = await upload('videos/unequal-raw.mp4', sizes);
      await raw.send(
        new CompleteMultipartUploadCommand({
          Bucket: driver.bucket,
          Key: 'videos/unequal-raw.mp4',
          UploadId: accepted.uploadId,
          MultipartUpload: { Parts: accepted.parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
      raw.destroy();
      expect((await driver.head('videos/unequal-raw.mp4'))?.size).toBe(11 * MiB + 100);
    });

    it('refuses a part under 5 MiB that is not the last: entity_too_small', async () => {
      const key = 'videos/small.mp4';
      const { uploadId, parts } = await upload(key, [1 * MiB, 100]);
      const error = await storageError(driver.completeMultipart(key, uploadId, parts));
      expect(error.code).toBe('entity_too_small');
      expect(await driver.head(key)).toBeNull();
      await driver.abortMultipart(key, uploadId);
    });

    it('refuses a wrong ETag or a part listed twice: invalid_part; parts listed out of order are sorted', async () => {
      const key = 'videos/bad-parts.mp4';
      const { uploadId, parts } = await upload(key, [5 * MiB, 100]);
      const wrongEtag = parts.map((p, i) => (i === 0 ? { ...p, etag: '"00000000000000000000000000000000"' } : p));
      expect((await storageError(driver.completeMultipart(key, uploadId, wrongEtag))).code).toBe('invalid_part');
      // RGW would accept this one; S3 and R2 refuse it, so the driver does too.
      expect((await storageError(driver.completeMultipart(key, uploadId, [parts[0]!, ...parts]))).code).toBe('invalid_part');
      expect(await driver.head(key)).toBeNull();
      await driver.completeMultipart(key, uploadId, [...parts].reverse());
      expect((await driver.head(key))?.size).toBe(5 * MiB + 100);
      const firstByte = await fetch(await driver.presignGet(key, { expiresIn: 60 }), { headers: { Range: 'bytes=0-0' } });
      expect(new Uint8Array(await firstByte.arrayBuffer())).toEqual(new Uint8Array([1]));
    });

    it('completing an aborted or completed upload is no_such_upload (RGW answers 500 there)', async () => {
      const key = 'videos/twice.mp4';
      const { uploadId, parts } = await upload(key, [100]);
      await driver.completeMultipart(key, uploadId, parts);
      expect((await storageError(driver.completeMultipart(key, uploadId, parts))).code).toBe('no_such_upload');
      const again = await upload(key, [100]);
      await driver.abortMultipart(key, again.uploadId);
      expect((await storageError(driver.completeMultipart(key, again.uploadId, again.parts))).code).toBe('no_such_upload');
      expect((await driver.head(key))?.size).toBe(100);
    });

    it('abort is idempotent and leaves nothing; an aborted upload is no_such_upload', async () => {
      const key = 'videos/aborted.mp4';
      const { uploadId } = await upload(key, [100]);
      await driver.abortMultipart(key, uploadId);
      await driver.abortMultipart(key, uploadId);
      expect((await storageError(driver.listParts(key, uploadId))).code).toBe('no_such_upload');
      expect(await driver.head(key)).toBeNull();
    });

    it('lists incomplete uploads started before a date', async () => {
      const key = 'videos/forgotten.mp4';
      const uploadId = await driver.createMultipart(key, { contentType: 'video/mp4' });
      expect(await driver.listIncompleteMultipart(new Date(Date.now() - 3600_000))).toEqual([]);
      const found = await driver.listIncompleteMultipart(new Date(Date.now() + 60_000));
      expect(found).toContainEqual({ key, uploadId, initiated: expect.any(Date) });
      await driver.abortMultipart(key, uploadId);
    });
  });

  it('presigned GET carries the download name; publicUrl uses the CDN domain only when set', async () => {
    const signed = await driver.presignPut('photos/named.jpg', { contentType: 'image/jpeg', expiresIn: 60 });
    await put(signed.url, 'x', signed.headers);
    const response = await fetch(await driver.presignGet('photos/named.jpg', { expiresIn: 60, filename: 'Été "1".jpg' }));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('x');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="_t_ _1_.jpg"; filename*=UTF-8''%C3%89t%C3%A9%20%221%22.jpg`);
    expect(driver.publicUrl('photos/named.jpg')).toBeNull();
    const cdn = await createS3Store({ ...s3.config, cdnDomain: 'media.example.com' });
    expect(cdn.publicUrl('photos/a b.jpg')).toBe('https://media.example.com/photos/a%20b.jpg');
    await cdn.close();
  });

  describe('CORS', () => {
    it('puts and gets the rules the browser needs, and checkCors finds no problem', async () => {
      expect(await driver.getBucketCors()).toBeNull();
      await driver.putBucketCors(corsRulesFor(ORIGIN));
      const rules = await driver.getBucketCors();
      expect(rules).toEqual([expect.objectContaining({ AllowedOrigins: [ORIGIN], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3600 })]);
      expect(new Set(rules?.[0]?.AllowedMethods)).toEqual(new Set(['PUT', 'GET', 'HEAD']));
      expect(checkCors(rules, ORIGIN)).toEqual([]);
    });

    it('a preflight for PUT from the origin is allowed and exposes ETag; another origin is not allowed', async () => {
      await driver.putBucketCors(corsRulesFor(ORIGIN));
      const signed = await driver.presignPut('videos/cors.mp4', { contentType: 'video/mp4', expiresIn: 60 });
      const preflight = (origin: string) =>
        fetch(signed.url, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
        });
      const allowed = await preflight(ORIGIN);
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(allowed.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(allowed.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
      expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

      const answer = await fetch(signed.url, { method: 'PUT', body: 'v', headers: { ...signed.headers, Origin: ORIGIN } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
      expect(answer.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    });
  });
});

describe('S3 driver errors say what to check', () => {
  const withConfig = async <T>(patch: Partial<R2Config>, use: (driver: S3Store) => Promise<T>) => {
    const driver = await createS3Store({ ...s3.config, ...patch });
    try {
      return await use(driver);
    } finally {
      await driver.close();
    }
  };

  it('a wrong secret is signature_mismatch naming R2_SECRET_ACCESS_KEY, also from head', async () => {
    await withConfig({ secretAccessKey: 'not-the-secret' }, async (driver) => {
      // One call at a time: a rejection must not wait unobserved while another is awaited.
      for (const attempt of [() => driver.checkBucket(), () => driver.createMultipart('videos/x.mp4', { contentType: 'video/mp4' }), () => driver.head('videos/x.mp4')]) {
        const error = await storageError(attempt());
        expect(error.code).toBe('signature_mismatch');
        expect(error.message).toContain('R2_SECRET_ACCESS_KEY');
      }
    });
  });

  it('an unknown key id is invalid_credentials naming R2_ACCESS_KEY_ID', async () => {
    await withConfig({ accessKeyId: 'AKNOTAKEYTHESTOREKNOWS' }, async (driver) => {
      for (const attempt of [() => driver.checkBucket(), () => driver.head('videos/x.mp4')]) {
        const error = await storageError(attempt());
        expect(error.code).toBe('invalid_credentials');
        expect(error.message).toContain('R2_ACCESS_KEY_ID');
      }
    });
  });

  it('a missing bucket is no_such_bucket naming it and R2_BUCKET_NAME', async () => {
    await withConfig({ bucket: 'airlift-no-such-bucket' }, async (driver) => {
      const error = await storageError(driver.createMultipart('videos/x.mp4', { contentType: 'video/mp4' }));
      expect(error.code).toBe('no_such_bucket');
      expect(error.message).toContain('"airlift-no-such-bucket"');
      expect(error.message).toContain('R2_BUCKET_NAME');
    });
  });

  it('an unreachable endpoint is unavailable, within 5 s', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    await withConfig({ endpoint }, async (driver) => {
      const error = await storageError(driver.head('videos/x.mp4'));
      expect(error.code).toBe('unavailable');
      expect(error.message).toContain(endpoint);
      expect(error.message).toContain('R2_ENDPOINT_URL');
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('maps clock skew, access denied, 5xx and network errors from their SDK shapes', () => {
    const context = { endpoint: 'https://acct.r2.cloudflarestorage.com', bucket: 'media', operation: 'HeadObject' };
    const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(storageErrorFrom(sdkError('RequestTimeTooSkewed', 403), context).message).toMatch(/clock.*NTP/);
    expect(storageErrorFrom(sdkError('AccessDenied', 403), context).message).toContain('Object Read & Write');
    expect(storageErrorFrom(sdkError('SlowDown', 503), context).code).toBe('unavailable');
    expect(storageErrorFrom(sdkError('InternalError', 500), context).code).toBe('unavailable');
    expect(storageErrorFrom(Object.assign(new Error('getaddrinfo ENOTFOUND acct'), { code: 'ENOTFOUND' }), context).code).toBe('unavailable');
    const refused = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' })]);
    expect(storageErrorFrom(refused, context).message).toContain('ECONNREFUSED');
    expect(storageErrorFrom(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), context).code).toBe('unavailable');
    expect(storageErrorFrom(sdkError('PreconditionFailed', 412), context)).toMatchObject({ code: 'store_error', message: expect.stringContaining('PreconditionFailed') });
  });
});

describe('checkCors', () => {
  const rule = corsRulesFor(ORIGIN)[0]!;

  it('accepts the rules corsRulesFor makes, and wildcards', () => {
    expect(checkCors(corsRulesFor(ORIGIN), ORIGIN)).toEqual([]);
    expect(checkCors([{ ...rule, AllowedOrigins: ['*'], AllowedHeaders: ['*'] }], ORIGIN)).toEqual([]);
    expect(checkCors([{ ...rule, AllowedOrigins: ['https://*.example.com'] }], 'https://media.example.com')).toEqual([]);
    expect(checkCors([{ ...rule, AllowedHeaders: ['Content-Type', 'Content-MD5', 'If-None-Match'], ExposeHeaders: ['etag'] }], ORIGIN)).toEqual([]);
  });

  it('reports no rules at all', () => {
    expect(checkCors(null, ORIGIN)).toEqual([expect.stringContaining('no CORS rules')]);
    expect(checkCors([], ORIGIN)).toHaveLength(1);
  });

  it('reports an origin that does not match exactly, listing the allowed ones', () => {
    const problems = checkCors([{ ...rule, AllowedOrigins: [ORIGIN + '/'] }], ORIGIN);
    expect(problems[0]).toContain(`No CORS rule lets ${ORIGIN} send PUT`);
    expect(problems[0]).toContain(`${ORIGIN}/`);
    expect(checkCors(corsRulesFor('https://example.com'), 'http://example.com').length).toBeGreaterThan(0);
  });

  it('reports a hidden ETag', () => {
    expect(checkCors([{ ...rule, ExposeHeaders: [] }], ORIGIN)).toEqual([expect.stringContaining('ETag')]);
  });

  it('reports a missing method or header', () => {
    expect(checkCors([{ ...rule, AllowedMethods: ['GET', 'HEAD'] }], ORIGIN)).toEqual([expect.stringContaining('PUT')]);
    expect(checkCors([{ ...rule, AllowedHeaders: ['content-type'] }], ORIGIN)).toEqual([expect.stringContaining('content-md5')]);
    // A rule from before the create-only condition: whole-file PUTs would fail their preflight.
    expect(checkCors([{ ...rule, AllowedHeaders: ['content-type', 'content-md5', 'range'] }], ORIGIN)).toEqual([expect.stringContaining('if-none-match')]);
    expect(checkCors([{ ...rule, AllowedMethods: ['PUT'] }], ORIGIN)).toEqual([expect.stringContaining('GET'), expect.stringContaining('HEAD')]);
  });

  it('uses the first rule that matches, like S3', () => {
    const hidden = { ...rule, ExposeHeaders: [] };
    expect(checkCors([hidden, rule], ORIGIN)).toEqual([expect.stringContaining('ETag')]);
    expect(checkCors([{ ...hidden, AllowedOrigins: ['https://other.example'] }, rule], ORIGIN)).toEqual([]);
  });
});

describe('partsProblem (R2 rule)', () => {
  const stored = (...sizes: number[]) => sizes.map((size, i) => ({ partNumber: i + 1, size, etag: `"${i}"` }));
  const listed = (...numbers: number[]) => numbers.map((partNumber) => ({ partNumber }));

  it.each([
    ['equal parts and a smaller last', stored(10, 10, 3), listed(1, 2, 3), null],
    ['equal parts only', stored(10, 10), listed(1, 2), null],
    ['a single part', stored(7), listed(1), null],
    ['a subset of what is stored', stored(10, 10, 10), listed(1, 2), null],
    ['an unequal middle part', stored(10, 11, 3), listed(1, 2, 3), 'part 2 is 11 bytes but part 1 is 10'],
    ['a last part larger than the others', stored(10, 11), listed(1, 2), 'part 2 is 11 bytes'],
    ['a part listed twice', stored(10, 10), listed(1, 1, 2), 'part 1 is listed twice'],
    ['a part never uploaded', stored(10), listed(1, 2), 'part 2 was never uploaded'],
    ['no parts', stored(10), listed(), 'no parts'],
  ])('%s', (_case, storedParts, parts, problem) => {
    const found = partsProblem(parts, storedParts);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });
});
