import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MiB, servedStore, TYPE } from './testing.ts';

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
});
