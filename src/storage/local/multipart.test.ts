import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalStore } from './index.ts';
import { multipartEtag } from './part-files.ts';
import { MiB, SECRET, servedStore, TYPE } from './testing.ts';

describe('local store multipart', { timeout: 30_000 }, () => {
  const { served, store, newKey, tempFiles, stored, putBytes, slowPut, sha, read, eventually } = servedStore();

  describe('parts in files of their own', () => {
    it('completes a multipart upload into a file in the root, removing its parts', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE });
      const parts = [];
      for (const [i, size] of [5 * MiB, 1000].entries()) {
        const signed = await store().presignPart(key, uploadId, i + 1, { expiresIn: 60 });
        const response = await putBytes(signed.url, randomBytes(size), {});
        parts.push({ partNumber: i + 1, etag: response.headers.get('etag')! });
      }
      await store().completeMultipart(key, uploadId, parts);
      expect(stored(key)).toBe(true);
      expect(await readdir(path.join(served().objects, '.airlift', 'multipart'))).not.toContain(uploadId);
      expect(await tempFiles()).toEqual([]);
    });
  });

  describe('multipart written in place', () => {
    const uploadDir = (uploadId: string) => path.join(served().objects, '.airlift', 'multipart', uploadId);
    const putPart = async (key: string, uploadId: string, partNumber: number, body: Uint8Array<ArrayBuffer>) => {
      const signed = await store().presignPart(key, uploadId, partNumber, { expiresIn: 60, contentLength: body.length });
      const response = await putBytes(signed.url, body, {});
      expect(response.status).toBe(200);
      return { partNumber, etag: response.headers.get('etag')! };
    };
    /** A part PUT that sends `first` bytes of its body, then waits to be told to go on or stop. */
    const slowPart = async (key: string, uploadId: string, partNumber: number, body: Buffer, first: number) =>
      slowPut((await store().presignPart(key, uploadId, partNumber, { expiresIn: 60, contentLength: body.length })).url, {}, body, first);

    it('writes parts in place and completes by renaming: the object is the data file, nothing is copied', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)];
      const parts = await Promise.all(bodies.map((body, i) => putPart(key, uploadId, i + 1, new Uint8Array(body))));
      expect(await readdir(uploadDir(uploadId))).toEqual(expect.arrayContaining(['1', '2', '3', 'data', 'upload.json']));
      const { ino } = await stat(path.join(uploadDir(uploadId), 'data'));
      await store().completeMultipart(key, uploadId, parts);
      expect((await stat(path.join(served().objects, key))).ino).toBe(ino);
      expect(sha(await read(key))).toBe(sha(Buffer.concat(bodies)));
      expect(await store().head(key)).toMatchObject({ size: 10 * MiB + 777 });
      expect(existsSync(uploadDir(uploadId))).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });

    it('keeps a copy of a part that arrives while another is being written in place in a file of its own; the last one whole wins', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const stale = randomBytes(5 * MiB);
      const slow = await slowPart(key, uploadId, 1, stale, MiB);
      await eventually(async () => (await stat(path.join(uploadDir(uploadId), 'data'))).size >= MiB / 2);
      const fresh = randomBytes(5 * MiB);
      const part = await putPart(key, uploadId, 1, new Uint8Array(fresh));
      expect(await store().listParts(key, uploadId)).toEqual([{ partNumber: 1, size: 5 * MiB, etag: part.etag }]);
      slow.cut();
      await slow.answer.catch(() => undefined);
      const last = await putPart(key, uploadId, 2, new Uint8Array(randomBytes(10)));
      await store().completeMultipart(key, uploadId, [part, last]);
      const object = await read(key);
      expect(object.length).toBe(5 * MiB + 10);
      expect(sha(object.subarray(0, 5 * MiB))).toBe(sha(fresh));
      expect(await tempFiles()).toEqual([]);
    });

    it('stops a part still being written when the upload completes: it is refused, and the object is exactly the listed parts', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const first = randomBytes(5 * MiB);
      const part = await putPart(key, uploadId, 1, new Uint8Array(first));
      const late = await slowPart(key, uploadId, 2, randomBytes(5 * MiB), MiB);
      await eventually(async () => (await stat(path.join(uploadDir(uploadId), 'data'))).size > 5 * MiB);
      await store().completeMultipart(key, uploadId, [part]);
      late.finish();
      const answer = await late.answer;
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'no_such_upload' } });
      expect(await store().head(key)).toMatchObject({ size: 5 * MiB });
      expect(sha(await read(key))).toBe(sha(first));
      expect((await stat(path.join(served().objects, key))).size).toBe(5 * MiB);
    });

    it('copies when the parts do not fit the plan (a part larger than the part size), with the same result', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const bodies = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(100)];
      const parts = await Promise.all(bodies.map((body, i) => putPart(key, uploadId, i + 1, new Uint8Array(body))));
      const { ino } = await stat(path.join(uploadDir(uploadId), 'data'));
      await store().completeMultipart(key, uploadId, parts);
      expect((await stat(path.join(served().objects, key))).ino).not.toBe(ino);
      expect(sha(await read(key))).toBe(sha(Buffer.concat(bodies)));
      expect(await tempFiles()).toEqual([]);
    });

    it('aborts an upload while a part is being written in place, leaving nothing', async () => {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const late = await slowPart(key, uploadId, 1, randomBytes(5 * MiB), MiB);
      await eventually(async () => (await stat(path.join(uploadDir(uploadId), 'data'))).size > 0);
      await store().abortMultipart(key, uploadId);
      late.finish();
      expect((await late.answer).status).toBe(404);
      expect(existsSync(uploadDir(uploadId))).toBe(false);
      expect(stored(key)).toBe(false);
      expect(await tempFiles()).toEqual([]);
    });
  });

  /**
   * kill -9 at each step of a complete, laid out as the crash leaves the files: a store opened
   * afterwards finds the parts (and completes them again) or the finished object, never neither.
   */
  describe('after a crash in the middle of a complete', () => {
    const dirs = () => ({ multipart: path.join(served().objects, '.airlift', 'multipart'), completing: path.join(served().objects, '.airlift', 'completing') });
    const reopen = () => createLocalStore({ root: served().objects, baseUrl: served().baseUrl, secret: SECRET });
    /** An upload of two parts written in place, ready to complete. */
    async function readyUpload() {
      const key = newKey();
      const uploadId = await store().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      const bodies = [randomBytes(5 * MiB), randomBytes(4321)];
      const parts = [];
      for (const [i, body] of bodies.entries()) {
        const signed = await store().presignPart(key, uploadId, i + 1, { expiresIn: 60, contentLength: body.length });
        const response = await putBytes(signed.url, new Uint8Array(body), {});
        parts.push({ partNumber: i + 1, etag: response.headers.get('etag')! });
      }
      return { key, uploadId, parts, whole: Buffer.concat(bodies) };
    }

    it('gives the parts back when the crash came after the claim, before the object was committed (even a dead process’s claim)', async () => {
      const { key, uploadId, parts, whole } = await readyUpload();
      const claimed = path.join(dirs().completing, uploadId);
      await rename(path.join(dirs().multipart, uploadId), claimed);
      await writeFile(path.join(claimed, 'claim.json'), JSON.stringify({ pid: 2 ** 22 + 1, host: hostname() }));
      // Assembled and about to commit: the data file cut to size, the object said, its meta written, the data not yet moved.
      await truncate(path.join(claimed, 'data'), whole.length);
      await writeFile(path.join(claimed, 'object.json'), JSON.stringify({ size: whole.length, etag: multipartEtag(parts.map((p) => p.etag.replaceAll('"', ''))) }));
      expect(await store().listParts(key, uploadId).catch((error: unknown) => error)).toMatchObject({ code: 'no_such_upload' });

      const restarted = await reopen();
      expect((await restarted.listParts(key, uploadId)).map((p) => p.partNumber)).toEqual([1, 2]);
      expect(await readdir(dirs().completing)).toEqual([]);
      await restarted.completeMultipart(key, uploadId, parts);
      expect(sha(await read(key))).toBe(sha(whole));
    });

    it('finishes an upload whose object was committed before the crash, and leaves the object as it is', async () => {
      const { key, uploadId, parts, whole } = await readyUpload();
      // The claimed folder as the crash left it right after the commit: the data moved into the root, the folder not yet removed.
      const claimed = path.join(dirs().completing, uploadId);
      const meta = await readFile(path.join(dirs().multipart, uploadId, 'upload.json'));
      await store().completeMultipart(key, uploadId, parts);
      const object = await store().head(key);
      await mkdir(claimed);
      await writeFile(path.join(claimed, 'upload.json'), meta);
      await writeFile(path.join(claimed, 'object.json'), JSON.stringify({ size: object!.size, etag: object!.etag }));

      const restarted = await reopen();
      expect(await readdir(dirs().completing)).toEqual([]);
      expect(await restarted.listParts(key, uploadId).catch((error: unknown) => error)).toMatchObject({ code: 'no_such_upload' });
      expect(sha(await read(key))).toBe(sha(whole));
    });

    it('leaves alone an upload another live process is completing', async () => {
      const { uploadId } = await readyUpload();
      const claimed = path.join(dirs().completing, uploadId);
      await rename(path.join(dirs().multipart, uploadId), claimed);
      await writeFile(path.join(claimed, 'claim.json'), JSON.stringify({ pid: process.ppid, host: hostname() }));
      await reopen();
      expect(await readdir(dirs().completing)).toEqual([uploadId]);
      await rm(claimed, { recursive: true });
    });
  });
});
