import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../driver.ts';
import { createLocalStore } from './index.ts';
import { localEtag, MiB, SECRET, servedStore, TYPE } from './testing.ts';

describe('local store endpoints (/store/*)', { timeout: 30_000 }, () => {
  const { served, store, newKey, tempFiles, stored, errorOf, putBytes, chunked, putStream, slowPut, stash, eventually, rawPut } = servedStore();

  describe('refusals', () => {
    it('refuses an expired URL with 403, saying when it expired, and stores nothing', async () => {
      const clock = () => Date.now() - 2 * 3600_000;
      const past = await createLocalStore({ root: served().objects, baseUrl: served().baseUrl, secret: SECRET, now: clock });
      const key = newKey();
      const signed = await past.presignPut(key, { contentType: TYPE, expiresIn: 60 });
      const response = await putBytes(signed.url, randomBytes(1000));
      expect(response.status).toBe(403);
      const error = await errorOf(response);
      expect(error.code).toBe('url_expired');
      expect(error.message).toContain(`expired at ${signed.expiresAt.toISOString()}`);
      expect(error.message).toMatch(/fresh/);
      expect(stored(key)).toBe(false);
      expect(await tempFiles()).toEqual([]);
      const read = await fetch(await past.presignGet(key, { expiresIn: 60 }));
      expect(read.status).toBe(403);
    });

    it("refuses a valid signature used for another key, or another method", async () => {
      const key = newKey();
      const other = newKey();
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60 });
      const response = await putBytes(signed.url.replace(key, other), randomBytes(100));
      expect(response.status).toBe(403);
      expect((await errorOf(response)).code).toBe('signature_mismatch');
      expect(stored(other)).toBe(false);

      await stash(key, randomBytes(100));
      expect((await fetch(signed.url)).status).toBe(403); // a PUT URL does not read
      const read = await store().presignGet(key, { expiresIn: 60 });
      expect((await putBytes(read, randomBytes(100))).status).toBe(403); // nor a GET URL write
      const unsigned = new URL(signed.url);
      unsigned.searchParams.delete('signature');
      expect((await putBytes(unsigned.toString(), randomBytes(100))).status).toBe(403);
    });

    it('stops a body larger than the signed maximum with 413, leaving no file', async () => {
      const key = newKey();
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, maxLength: MiB });
      // Declared too large: refused before a byte is read.
      const declared = await putBytes(signed.url, randomBytes(3 * MiB));
      expect(declared.status).toBe(413);
      expect((await errorOf(declared)).code).toBe('too_large');
      // Chunked: refused once the count passes the limit.
      const streamed = await putStream(signed.url, chunked(randomBytes(256 * 1024), 12));
      expect(streamed.status).toBe(413);
      expect(stored(key)).toBe(false);
      await eventually(async () => (await tempFiles()).length === 0);
      // Up to the limit is fine.
      expect((await putStream(signed.url, chunked(randomBytes(256 * 1024), 4))).status).toBe(200);
      expect(await store().head(key)).toMatchObject({ size: MiB });
    });

    it('refuses a body shorter than the signed exact length with 400', async () => {
      const key = newKey();
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: MiB });
      const response = await putStream(signed.url, chunked(randomBytes(1000), 10));
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('incomplete_body');
      expect(stored(key)).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('refuses another content type with 415, or none, leaving no file', async () => {
      const key = newKey();
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60 });
      const response = await putBytes(signed.url, randomBytes(100), { 'Content-Type': 'text/html' });
      expect(response.status).toBe(415);
      const error = await errorOf(response);
      expect(error.code).toBe('content_type_mismatch');
      expect(error.message).toContain('"video/mp4"');
      expect((await putBytes(signed.url, randomBytes(100), {})).status).toBe(415);
      expect(stored(key)).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('refuses a body whose MD5 differs from the signed one with 400 bad_digest', async () => {
      const key = newKey();
      const body = randomBytes(1000);
      const contentMd5 = createHash('md5').update(body).digest('base64');
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentMd5 });
      expect(signed.headers['Content-MD5']).toBe(contentMd5);
      const response = await putBytes(signed.url, randomBytes(1000), signed.headers);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('bad_digest');
      expect(stored(key)).toBe(false);
    });

    it('refuses keys that would leave the root, however they are spelled', async () => {
      for (const key of ['../escape.mp4', 'videos/../../escape.mp4', '/etc/passwd', 'videos//a.mp4', '.airlift/tmp/x', 'a\\..\\b']) {
        await expect(store().presignPut(key, { contentType: TYPE, expiresIn: 60 })).rejects.toBeInstanceOf(StorageError);
        await expect(store().head(key)).rejects.toBeInstanceOf(StorageError);
      }
      // A genuine signature, replayed on paths that climb out: fetch would normalise them, so send them raw.
      const signed = new URL((await store().presignPut('videos/x.mp4', { contentType: TYPE, expiresIn: 60 })).url);
      for (const attempt of ['/store/videos/../../escape.mp4', '/store/videos/%2e%2e/%2e%2e/escape.mp4', '/store/%2E%2E%2F%2E%2E%2Fescape.mp4', '/store/.airlift/tmp/x']) {
        const status = await rawPut(`${attempt}${signed.search}`, 'escape');
        expect([400, 403, 404]).toContain(status);
      }
      expect(existsSync(path.join(served().objects, '..', 'escape.mp4'))).toBe(false);
      expect(existsSync(path.join(served().objects, '..', '..', 'escape.mp4'))).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('leaves no temp file when the client aborts mid-upload, unless the URL was signed for an exact length', async () => {
      const key = newKey();
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, maxLength: 10 * MiB });
      const request = slowPut(signed.url, { 'Content-Type': TYPE }, randomBytes(10 * MiB), 2 * MiB);
      await eventually(async () => (await tempFiles()).length === 1);
      request.cut();
      await request.answer.catch(() => undefined);
      await eventually(async () => (await tempFiles()).length === 0);
      expect(stored(key)).toBe(false);
      expect(await store().heldBytes(key)).toBe(0);
    });

    it('refuses a part for an aborted upload with 404, leaving no file', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE });
      const signed = await store().presignPart(key, uploadId, 1, { expiresIn: 60 });
      await store().abortMultipart(key, uploadId);
      const response = await putBytes(signed.url, randomBytes(1000), {});
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe('no_such_upload');
      expect(await tempFiles()).toEqual([]);
    });
  });

  describe('create-only URLs and deleted keys', () => {
    it('refuses a second PUT of a create-only URL with 412 precondition_failed, keeping the first bytes', async () => {
      const key = newKey();
      const body = randomBytes(1000);
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: 1000, ifNoneMatch: true });
      expect(new URL(signed.url).searchParams.get('create')).toBe('1');
      expect((await putBytes(signed.url, body)).status).toBe(200);
      const again = await putBytes(signed.url, randomBytes(1000));
      expect(again.status).toBe(412);
      const error = await errorOf(again);
      expect(error.code).toBe('precondition_failed');
      expect(error.message).toMatch(/already stored/);
      expect(Buffer.from((await store().readStart(key, 2000))!).equals(body)).toBe(true);
      // The flag is signed: a URL stripped of it does not verify.
      const stripped = new URL(signed.url);
      stripped.searchParams.delete('create');
      expect((await putBytes(stripped.toString(), randomBytes(1000))).status).toBe(403);
    });

    it('refuses any PUT of a deleted key with 403 url_voided, and stores nothing', async () => {
      const key = newKey();
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: 1000 });
      const unsized = await store().presignPut(key, { contentType: TYPE, expiresIn: 60 });
      await store().delete(key);
      for (const url of [signed.url, unsized.url]) {
        const response = await putBytes(url, randomBytes(1000));
        expect(response.status).toBe(403);
        expect((await errorOf(response)).code).toBe('url_voided');
      }
      expect(stored(key)).toBe(false);
      expect(await store().head(key)).toBeNull();
    });
  });

  describe('reads', () => {
    const body = randomBytes(100);
    let key: string;
    let url: string;
    beforeAll(async () => {
      key = newKey();
      await stash(key, body);
      url = await store().presignGet(key, { expiresIn: 120 });
    });

    const range = async (header: string) => {
      const response = await fetch(url, { headers: { Range: header } });
      return { status: response.status, contentRange: response.headers.get('content-range'), bytes: Buffer.from(await response.arrayBuffer()) };
    };

    it('answers HEAD with the headers of a GET and no body', async () => {
      const response = await fetch(url, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(Object.fromEntries(response.headers)).toMatchObject({
        'content-type': TYPE,
        'content-length': '100',
        etag: `"${localEtag(body)}"`,
        'accept-ranges': 'bytes',
      });
      expect(response.headers.get('access-control-expose-headers')).toContain('ETag');
      expect(response.headers.get('cache-control')).toMatch(/^private, max-age=(119|120)$/);
      expect(new Date(response.headers.get('last-modified')!).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });

    it('serves single ranges with 206 and refuses unsatisfiable ones with 416', async () => {
      expect(await range('bytes=10-19')).toEqual({ status: 206, contentRange: 'bytes 10-19/100', bytes: body.subarray(10, 20) });
      expect(await range('bytes=90-')).toEqual({ status: 206, contentRange: 'bytes 90-99/100', bytes: body.subarray(90) });
      expect(await range('bytes=-10')).toEqual({ status: 206, contentRange: 'bytes 90-99/100', bytes: body.subarray(90) });
      expect(await range('bytes=-1000')).toEqual({ status: 206, contentRange: 'bytes 0-99/100', bytes: body });
      expect(await range('bytes=95-1000')).toEqual({ status: 206, contentRange: 'bytes 95-99/100', bytes: body.subarray(95) });
      expect((await range('bytes=100-')).status).toBe(416);
      expect((await range('bytes=100-')).contentRange).toBe('bytes */100');
      expect((await range('bytes=-0')).status).toBe(416);
      // What we do not handle (several ranges, nonsense) is ignored: the whole object.
      expect(await range('bytes=0-1,5-6')).toEqual({ status: 200, contentRange: null, bytes: body });
      expect(await range('pages=1-2')).toEqual({ status: 200, contentRange: null, bytes: body });
    });

    it('names the download when the URL carries a filename', async () => {
      const named = await store().presignGet(key, { expiresIn: 60, filename: 'Été à "Paris".mp4' });
      const response = await fetch(named);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="_t_ _ _Paris_.mp4"; filename*=UTF-8''${encodeURIComponent('Été à "Paris".mp4')}`,
      );
      await response.arrayBuffer();
      const tampered = named.replace('filename=', 'filename=evil');
      expect((await fetch(tampered)).status).toBe(403);
    });

    it.each([
      ['a media type', 'video/mp4', 'video/mp4', 'inline'],
      ['HTML', 'text/html', 'application/octet-stream', 'attachment'],
      ['SVG', 'image/svg+xml', 'application/octet-stream', 'attachment'],
      ['XML', 'application/xml', 'application/octet-stream', 'attachment'],
      ['XHTML', 'application/xhtml+xml', 'application/octet-stream', 'attachment'],
      ['anything else', 'application/pdf', 'application/octet-stream', 'attachment'],
    ])('serves %s from the app’s origin as %s, sandboxed, never sniffed', async (_name, storedType, servedType, disposition) => {
      const stored = newKey();
      await stash(stored, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), storedType);
      const response = await fetch(await store().presignGet(stored, { expiresIn: 60 }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(servedType);
      expect(response.headers.get('content-disposition')).toMatch(new RegExp(`^${disposition}`));
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
      await response.arrayBuffer();
    });

    it('serves an empty object', async () => {
      const empty = newKey();
      await stash(empty, new Uint8Array(0));
      const response = await fetch(await store().presignGet(empty, { expiresIn: 60 }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('0');
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });
  });

  describe('streams', () => {
    it('stores a 64 MiB PUT without holding it in memory', async () => {
      const key = newKey();
      const chunk = randomBytes(MiB);
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: 64 * MiB });
      // Warm up first, so that what is measured is the upload, not fetch's and the hashing worker's first use.
      const warmUp = await store().presignPut(newKey(), { contentType: TYPE, expiresIn: 60 });
      expect((await putStream(warmUp.url, chunked(chunk, 32))).status).toBe(200);
      // Collect garbage as we go: V8 lets tens of MiB of freed socket buffers wait for a GC, which is not what we measure.
      v8.setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      const before = process.memoryUsage.rss();
      let peak = before;
      const sampler = setInterval(() => {
        gc();
        peak = Math.max(peak, process.memoryUsage.rss());
      }, 20);
      try {
        const response = await putStream(signed.url, chunked(chunk, 64));
        expect(response.status).toBe(200);
      } finally {
        clearInterval(sampler);
      }
      expect(await store().head(key)).toMatchObject({ size: 64 * MiB });
      expect(peak - before).toBeLessThan(32 * MiB);
    });
  });
});
