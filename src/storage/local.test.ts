import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageContract } from './contract.ts';
import { StorageError } from './driver.ts';
import { checkPartSizes, createLocalStore, type LocalStore } from './local.ts';
import { localStoreRoutes } from './local-routes.ts';
import { settled } from '../../test/settled.ts';

const MiB = 1024 ** 2;
/** The local store's ETag: the body's SHA-256, cut to 128 bits. */
const localEtag = (body: Uint8Array) => createHash('sha256').update(body).digest('hex').slice(0, 32);
const SECRET = 'a test secret that is long enough to sign with';

interface Served {
  store: LocalStore;
  /** The store's root folder. */
  objects: string;
  baseUrl: string;
  close(): Promise<void>;
}

/** A local store whose routes are served by a real Fastify server on a random port. */
async function serve(): Promise<Served> {
  const dir = await mkdtemp(path.join(tmpdir(), 'airlift-local-'));
  const objects = path.join(dir, 'objects');
  // Listen first: the store signs URLs for the port the server got.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = await createLocalStore({ root: objects, baseUrl, secret: SECRET });
  const app = Fastify({ serverFactory: (handler) => server.on('request', handler) });
  await app.register(localStoreRoutes, { store });
  await app.ready();
  return {
    store,
    objects,
    baseUrl,
    async close() {
      await app.close();
      await store.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storageContract('local store', async () => {
  const served = await serve();
  return { driver: served.store, etagOf: localEtag, close: served.close };
});

describe('local store', { timeout: 30_000 }, () => {
  let served: Served;
  let store: LocalStore;
  beforeAll(async () => {
    served = await serve();
    store = served.store;
  });
  afterAll(() => served?.close());

  const TYPE = 'video/mp4';
  const newKey = () => `videos/${randomUUID()}.mp4`;
  const tempFiles = () => readdir(path.join(served.objects, '.airlift', 'tmp'));
  const stored = (key: string) => existsSync(path.join(served.objects, key));
  const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;
  const putBytes = (url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = { 'Content-Type': TYPE }) =>
    fetch(url, { method: 'PUT', headers, body });
  /** A body fetch sends chunked, without Content-Length, so only counting can stop it. */
  const chunked = (chunk: Uint8Array, count: number) => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < count) controller.enqueue(chunk);
        else controller.close();
      },
    });
  };
  const putStream = (url: string, body: ReadableStream<Uint8Array>) =>
    fetch(url, { method: 'PUT', headers: { 'Content-Type': TYPE }, body, duplex: 'half' } as RequestInit);
  /** A PUT that sends `first` bytes of `body`, then waits to be finished or cut. */
  const slowPut = (url: string, headers: Record<string, string | number>, body: Buffer, first: number) => {
    const signed = new URL(url);
    const req = httpRequest({ host: signed.hostname, port: signed.port, method: 'PUT', path: signed.pathname + signed.search, headers: { ...headers, 'Content-Length': body.length } });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, first));
    return { answer, finish: () => req.end(body.subarray(first)), cut: () => req.destroy() };
  };
  const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const read = async (key: string) => new Uint8Array(await (await fetch(await store.presignGet(key, { expiresIn: 60 }))).arrayBuffer());
  /** Waits for the server to finish cleaning up after a request the client gave up on. */
  const eventually = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await check()).toBe(true);
  };

  async function stash(key: string, body: Uint8Array<ArrayBuffer>, contentType = TYPE) {
    const signed = await store.presignPut(key, { contentType, expiresIn: 60, contentLength: body.length });
    expect((await putBytes(signed.url, body, signed.headers)).status).toBe(200);
  }

  it('is a local driver without public URLs', () => {
    expect(store.kind).toBe('local');
    expect(store.publicUrl()).toBeNull();
  });

  describe('refusals', () => {
    it('refuses an expired URL with 403, saying when it expired, and stores nothing', async () => {
      const clock = () => Date.now() - 2 * 3600_000;
      const past = await createLocalStore({ root: served.objects, baseUrl: served.baseUrl, secret: SECRET, now: clock });
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
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60 });
      const response = await putBytes(signed.url.replace(key, other), randomBytes(100));
      expect(response.status).toBe(403);
      expect((await errorOf(response)).code).toBe('signature_mismatch');
      expect(stored(other)).toBe(false);

      await stash(key, randomBytes(100));
      expect((await fetch(signed.url)).status).toBe(403); // a PUT URL does not read
      const read = await store.presignGet(key, { expiresIn: 60 });
      expect((await putBytes(read, randomBytes(100))).status).toBe(403); // nor a GET URL write
      const unsigned = new URL(signed.url);
      unsigned.searchParams.delete('signature');
      expect((await putBytes(unsigned.toString(), randomBytes(100))).status).toBe(403);
    });

    it('stops a body larger than the signed maximum with 413, leaving no file', async () => {
      const key = newKey();
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, maxLength: MiB });
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
      expect(await store.head(key)).toMatchObject({ size: MiB });
    });

    it('refuses a body shorter than the signed exact length with 400', async () => {
      const key = newKey();
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: MiB });
      const response = await putStream(signed.url, chunked(randomBytes(1000), 10));
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('incomplete_body');
      expect(stored(key)).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('refuses another content type with 415, or none, leaving no file', async () => {
      const key = newKey();
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60 });
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
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentMd5 });
      expect(signed.headers['Content-MD5']).toBe(contentMd5);
      const response = await putBytes(signed.url, randomBytes(1000), signed.headers);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('bad_digest');
      expect(stored(key)).toBe(false);
    });

    it('refuses keys that would leave the root, however they are spelled', async () => {
      for (const key of ['../escape.mp4', 'videos/../../escape.mp4', '/etc/passwd', 'videos//a.mp4', '.airlift/tmp/x', 'a\\..\\b']) {
        await expect(store.presignPut(key, { contentType: TYPE, expiresIn: 60 })).rejects.toBeInstanceOf(StorageError);
        await expect(store.head(key)).rejects.toBeInstanceOf(StorageError);
      }
      // A genuine signature, replayed on paths that climb out: fetch would normalise them, so send them raw.
      const signed = new URL((await store.presignPut('videos/x.mp4', { contentType: TYPE, expiresIn: 60 })).url);
      for (const attempt of ['/store/videos/../../escape.mp4', '/store/videos/%2e%2e/%2e%2e/escape.mp4', '/store/%2E%2E%2F%2E%2E%2Fescape.mp4', '/store/.airlift/tmp/x']) {
        const status = await rawPut(`${attempt}${signed.search}`, 'escape');
        expect([400, 403, 404]).toContain(status);
      }
      expect(existsSync(path.join(served.objects, '..', 'escape.mp4'))).toBe(false);
      expect(existsSync(path.join(served.objects, '..', '..', 'escape.mp4'))).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('leaves no temp file when the client aborts mid-upload, unless the URL was signed for an exact length', async () => {
      const key = newKey();
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, maxLength: 10 * MiB });
      const request = slowPut(signed.url, { 'Content-Type': TYPE }, randomBytes(10 * MiB), 2 * MiB);
      await eventually(async () => (await tempFiles()).length === 1);
      request.cut();
      await request.answer.catch(() => undefined);
      await eventually(async () => (await tempFiles()).length === 0);
      expect(stored(key)).toBe(false);
      expect(await store.heldBytes(key)).toBe(0);
    });

    it('refuses a part for an aborted upload with 404, leaving no file', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE });
      const signed = await store.presignPart(key, uploadId, 1, { expiresIn: 60 });
      await store.abortMultipart(key, uploadId);
      const response = await putBytes(signed.url, randomBytes(1000), {});
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe('no_such_upload');
      expect(await tempFiles()).toEqual([]);
    });
  });

  describe('reads', () => {
    const body = randomBytes(100);
    let key: string;
    let url: string;
    beforeAll(async () => {
      key = newKey();
      await stash(key, body);
      url = await store.presignGet(key, { expiresIn: 120 });
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
      const named = await store.presignGet(key, { expiresIn: 60, filename: 'Été à "Paris".mp4' });
      const response = await fetch(named);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="_t_ _ _Paris_.mp4"; filename*=UTF-8''${encodeURIComponent('Été à "Paris".mp4')}`,
      );
      await response.arrayBuffer();
      const tampered = named.replace('filename=', 'filename=evil');
      expect((await fetch(tampered)).status).toBe(403);
    });

    it('serves an empty object', async () => {
      const empty = newKey();
      await stash(empty, new Uint8Array(0));
      const response = await fetch(await store.presignGet(empty, { expiresIn: 60 }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('0');
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    });
  });

  describe('streams', () => {
    it('stores a 64 MiB PUT without holding it in memory', async () => {
      const key = newKey();
      const chunk = randomBytes(MiB);
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: 64 * MiB });
      // Warm up first, so that what is measured is the upload, not fetch's and the hashing worker's first use.
      const warmUp = await store.presignPut(newKey(), { contentType: TYPE, expiresIn: 60 });
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
      expect(await store.head(key)).toMatchObject({ size: 64 * MiB });
      expect(peak - before).toBeLessThan(32 * MiB);
    });

    it('completes a multipart upload into a file in the root, removing its parts', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE });
      const parts = [];
      for (const [i, size] of [5 * MiB, 1000].entries()) {
        const signed = await store.presignPart(key, uploadId, i + 1, { expiresIn: 60 });
        const response = await putBytes(signed.url, randomBytes(size), {});
        parts.push({ partNumber: i + 1, etag: response.headers.get('etag')! });
      }
      await store.completeMultipart(key, uploadId, parts);
      expect(stored(key)).toBe(true);
      expect(await readdir(path.join(served.objects, '.airlift', 'multipart'))).not.toContain(uploadId);
      expect(await tempFiles()).toEqual([]);
    });
  });

  describe('multipart written in place', () => {
    const uploadDir = (uploadId: string) => path.join(served.objects, '.airlift', 'multipart', uploadId);
    const putPart = async (key: string, uploadId: string, partNumber: number, body: Uint8Array<ArrayBuffer>) => {
      const signed = await store.presignPart(key, uploadId, partNumber, { expiresIn: 60, contentLength: body.length });
      const response = await putBytes(signed.url, body, {});
      expect(response.status).toBe(200);
      return { partNumber, etag: response.headers.get('etag')! };
    };
    /** A part PUT that sends `first` bytes of its body, then waits to be told to go on or stop. */
    const slowPart = async (key: string, uploadId: string, partNumber: number, body: Buffer, first: number) =>
      slowPut((await store.presignPart(key, uploadId, partNumber, { expiresIn: 60, contentLength: body.length })).url, {}, body, first);

    it('writes parts in place and completes by renaming: the object is the data file, nothing is copied', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)];
      const parts = await Promise.all(bodies.map((body, i) => putPart(key, uploadId, i + 1, new Uint8Array(body))));
      expect(await readdir(uploadDir(uploadId))).toEqual(expect.arrayContaining(['1', '2', '3', 'data', 'upload.json']));
      const { ino } = await stat(path.join(uploadDir(uploadId), 'data'));
      await store.completeMultipart(key, uploadId, parts);
      expect((await stat(path.join(served.objects, key))).ino).toBe(ino);
      expect(sha(await read(key))).toBe(sha(Buffer.concat(bodies)));
      expect(await store.head(key)).toMatchObject({ size: 10 * MiB + 777 });
      expect(existsSync(uploadDir(uploadId))).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('keeps a copy of a part that arrives while another is being written in place in a file of its own; the last one whole wins', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const stale = randomBytes(5 * MiB);
      const slow = await slowPart(key, uploadId, 1, stale, MiB);
      await eventually(async () => (await stat(path.join(uploadDir(uploadId), 'data'))).size >= MiB / 2);
      const fresh = randomBytes(5 * MiB);
      const part = await putPart(key, uploadId, 1, new Uint8Array(fresh));
      expect(await store.listParts(key, uploadId)).toEqual([{ partNumber: 1, size: 5 * MiB, etag: part.etag }]);
      slow.cut();
      await slow.answer.catch(() => undefined);
      const last = await putPart(key, uploadId, 2, new Uint8Array(randomBytes(10)));
      await store.completeMultipart(key, uploadId, [part, last]);
      const object = await read(key);
      expect(object.length).toBe(5 * MiB + 10);
      expect(sha(object.subarray(0, 5 * MiB))).toBe(sha(fresh));
      expect(await tempFiles()).toEqual([]);
    });

    it('stops a part still being written when the upload completes: it is refused, and the object is exactly the listed parts', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const first = randomBytes(5 * MiB);
      const part = await putPart(key, uploadId, 1, new Uint8Array(first));
      const late = await slowPart(key, uploadId, 2, randomBytes(5 * MiB), MiB);
      await eventually(async () => (await stat(path.join(uploadDir(uploadId), 'data'))).size > 5 * MiB);
      await store.completeMultipart(key, uploadId, [part]);
      late.finish();
      const answer = await late.answer;
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'no_such_upload' } });
      expect(await store.head(key)).toMatchObject({ size: 5 * MiB });
      expect(sha(await read(key))).toBe(sha(first));
      expect((await stat(path.join(served.objects, key))).size).toBe(5 * MiB);
    });

    it('copies when the parts do not fit the plan (a part larger than the part size), with the same result', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const bodies = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(100)];
      const parts = await Promise.all(bodies.map((body, i) => putPart(key, uploadId, i + 1, new Uint8Array(body))));
      const { ino } = await stat(path.join(uploadDir(uploadId), 'data'));
      await store.completeMultipart(key, uploadId, parts);
      expect((await stat(path.join(served.objects, key))).ino).not.toBe(ino);
      expect(sha(await read(key))).toBe(sha(Buffer.concat(bodies)));
      expect(await tempFiles()).toEqual([]);
    });

    it('aborts an upload while a part is being written in place, leaving nothing', async () => {
      const key = newKey();
      const uploadId = await store.createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const late = await slowPart(key, uploadId, 1, randomBytes(5 * MiB), MiB);
      await eventually(async () => (await stat(path.join(uploadDir(uploadId), 'data'))).size > 0);
      await store.abortMultipart(key, uploadId);
      late.finish();
      expect((await late.answer).status).toBe(404);
      expect(existsSync(uploadDir(uploadId))).toBe(false);
      expect(stored(key)).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });
  });

  describe('single PUTs cut short and continued', () => {
    const holdsFile = (key: string) => existsSync(path.join(served.objects, '.airlift', 'partial', createHash('sha256').update(key).digest('hex')));
    /** Sends `body` (the object's bytes from `from`) with the Content-Range that continues a held body. */
    const continuePut = (url: string, body: Buffer, from: number, size: number, headers: Record<string, string> = { 'Content-Type': TYPE }) =>
      putBytes(url, new Uint8Array(body), { ...headers, 'Content-Range': `bytes ${from}-${size - 1}/${size}` });
    /** Starts a PUT of `object`, cuts it once the store holds at least `atLeast` bytes, and returns how many it kept. */
    const cutAfter = async (key: string, url: string, object: Buffer, atLeast: number) => {
      const slow = slowPut(url, { 'Content-Type': TYPE }, object, atLeast + MiB);
      await eventually(async () => (await store.heldBytes(key)) >= atLeast);
      slow.cut();
      await slow.answer.catch(() => undefined);
      // The store writes every byte that arrived, then lets the body go.
      return settled(() => store.heldBytes(key), 20);
    };

    it('keeps the bytes of a PUT whose client went away; the same URL with Content-Range sends the rest, and the object is whole', async () => {
      const key = newKey();
      const object = randomBytes(8 * MiB);
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length });
      const held = await cutAfter(key, signed.url, object, 2 * MiB);
      expect(held).toBeGreaterThanOrEqual(2 * MiB);
      expect(held).toBeLessThanOrEqual(3 * MiB);
      expect(stored(key)).toBe(false);

      const response = await continuePut(signed.url, object.subarray(held), held, object.length);
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${localEtag(object)}"`);
      expect(sha(await read(key))).toBe(sha(object));
      expect(await store.head(key)).toMatchObject({ size: object.length, contentType: TYPE, etag: `"${localEtag(object)}"` });
      expect(holdsFile(key)).toBe(false);
    });

    it('checks a promised Content-MD5 against the whole object, held bytes included', async () => {
      const key = newKey();
      const object = randomBytes(6 * MiB);
      const md5 = createHash('md5').update(object).digest('base64');
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length, contentMd5: md5 });
      const held = await cutAfter(key, signed.url, object, MiB);
      const tampered = Buffer.from(object.subarray(held));
      tampered[0] = tampered[0]! ^ 1;
      const refused = await continuePut(signed.url, tampered, held, object.length, signed.headers);
      expect(refused.status).toBe(400);
      expect((await errorOf(refused)).code).toBe('bad_digest');
      expect(stored(key)).toBe(false);
      // A refused body is dropped, held bytes and all: the client starts over.
      expect(await store.heldBytes(key)).toBe(0);
      expect((await putBytes(signed.url, new Uint8Array(object), signed.headers)).status).toBe(200);
      expect(sha(await read(key))).toBe(sha(object));
    });

    it('refuses a Content-Range that does not continue this URL\'s object, and keeps the held bytes', async () => {
      const key = newKey();
      const object = randomBytes(6 * MiB);
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length });
      const held = await cutAfter(key, signed.url, object, MiB);
      const gap = await continuePut(signed.url, object.subarray(held + 10), held + 10, object.length);
      expect(gap.status).toBe(409);
      expect(await errorOf(gap)).toEqual({ code: 'offset_mismatch', message: expect.stringContaining(`holds ${held} bytes`) });
      const wrongSize = await putBytes(signed.url, new Uint8Array(object.subarray(held)), { 'Content-Type': TYPE, 'Content-Range': `bytes ${held}-${object.length}/${object.length + 1}` });
      expect(wrongSize.status).toBe(400);
      expect((await errorOf(wrongSize)).code).toBe('invalid_range');
      const unsized = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, maxLength: object.length });
      const noLength = await continuePut(unsized.url, object.subarray(held), held, object.length);
      expect(noLength.status).toBe(400);
      expect((await errorOf(noLength)).message).toContain('signed for an exact length');
      expect(await store.heldBytes(key)).toBe(held);
      // Continuing from before the held end sends those bytes again: fine, they are the same.
      const overlap = await continuePut(signed.url, object.subarray(held - 1000), held - 1000, object.length);
      expect(overlap.status).toBe(200);
      expect(sha(await read(key))).toBe(sha(object));
    });

    it('a newer PUT of the object stops one still sending, keeping its bytes; a delete drops them', async () => {
      const key = newKey();
      const object = randomBytes(8 * MiB);
      const signed = await store.presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length });
      const stale = slowPut(signed.url, { 'Content-Type': TYPE }, object, 3 * MiB);
      await eventually(async () => (await store.heldBytes(key)) >= 2 * MiB);
      const held = await store.heldBytes(key);
      const newer = slowPut(signed.url, { 'Content-Type': TYPE, 'Content-Range': `bytes ${held}-${object.length - 1}/${object.length}` }, object.subarray(held), MiB);
      const answer = await stale.answer.catch(() => null);
      if (answer) expect(answer.status).toBe(400);
      await eventually(async () => (await store.heldBytes(key)) >= held + MiB);
      await store.delete(key);
      expect(holdsFile(key)).toBe(false);
      newer.finish();
      expect((await newer.answer.catch(() => ({ status: 0 }))).status).not.toBe(200);
      expect(stored(key)).toBe(false);
    });
  });

  describe('checkPartSizes', () => {
    it.each([
      [[5 * MiB, 5 * MiB, 1], null],
      [[1], null],
      [[6 * MiB, 6 * MiB], null],
      [[MiB, MiB], 'entity_too_small'],
      [[5 * MiB, 6 * MiB, 1], 'invalid_part'],
      [[5 * MiB, 5 * MiB + 1], 'invalid_part'],
      [[], 'invalid_part'],
    ])('%j → %s', (sizes, code) => {
      const parts = sizes.map((size, i) => ({ partNumber: i + 1, size }));
      if (code === null) expect(() => checkPartSizes(parts)).not.toThrow();
      else expect(() => checkPartSizes(parts)).toThrow(expect.objectContaining({ code }));
    });
  });

  /** A PUT whose path reaches the server exactly as written. */
  function rawPut(pathAndQuery: string, body: string): Promise<number> {
    const { hostname, port } = new URL(served.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, method: 'PUT', path: pathAndQuery, headers: { 'Content-Type': TYPE } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
});
