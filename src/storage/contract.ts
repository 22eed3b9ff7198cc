import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type SignedRequest, type StorageDriver } from './driver.ts';

/**
 * The one test suite every `StorageDriver` passes, run by each driver's test file against a
 * real server. It speaks to the store through real HTTP with fetch, as a browser would, and
 * asserts only what S3 (and so R2 and Ceph RGW) also guarantees: status codes of refusals
 * differ between stores, so a refusal is `!res.ok` and nothing stored. `etagOf` is how the
 * store derives a body's ETag (S3: its MD5; the local store: its SHA-256, cut to 128 bits);
 * a multipart object's ETag is S3's "<md5 of the parts' binary ETags>-<count>" in both.
 */
export interface ContractStore {
  driver: StorageDriver;
  etagOf(body: Uint8Array): string;
  close(): Promise<void>;
}

export function storageContract(name: string, setup: () => Promise<ContractStore>): void {
  describe(`StorageDriver contract: ${name}`, { timeout: 60_000 }, () => {
    const MiB = 1024 ** 2;
    const TYPE = 'video/mp4';
    let store: ContractStore | undefined;
    const driver = () => store!.driver;
    const keys: string[] = [];
    const uploads: { key: string; uploadId: string }[] = [];

    beforeAll(async () => {
      store = await setup();
    });
    afterAll(async () => {
      if (!store) return;
      for (const { key, uploadId } of uploads) await store.driver.abortMultipart(key, uploadId).catch(() => undefined);
      for (const key of keys) await store.driver.delete(key).catch(() => undefined);
      await store.close();
    });

    const newKey = (folder = 'videos', ext = 'mp4') => {
      const key = `${folder}/${randomUUID()}.${ext}`;
      keys.push(key);
      return key;
    };
    const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
    const md5 = (data: Uint8Array) => createHash('md5').update(data);
    const etagOf = (data: Uint8Array) => store!.etagOf(data);
    const put = (signed: SignedRequest, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
      fetch(signed.url, { method: 'PUT', headers: { ...signed.headers, ...headers }, body });
    const get = async (key: string, headers: Record<string, string> = {}) => fetch(await driver().presignGet(key, { expiresIn: 300 }), { headers });
    const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer());
    const storageError = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      return error as StorageError;
    };
    const startUpload = async (key: string) => {
      // The part size most tests use; a store must still take parts of other sizes.
      const uploadId = await driver().createMultipart(key, { contentType: TYPE, partSize: 5 * MiB });
      uploads.push({ key, uploadId });
      return uploadId;
    };
    const putPart = async (key: string, uploadId: string, partNumber: number, body: Uint8Array<ArrayBuffer>) => {
      const signed = await driver().presignPart(key, uploadId, partNumber, { expiresIn: 300, contentLength: body.length });
      const response = await put(signed, body);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      const etag = response.headers.get('etag');
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      return { partNumber, etag: etag! };
    };

    describe('single PUT', () => {
      it('stores exactly the bytes sent, with their type, size and ETag', async () => {
        const key = newKey();
        const body = randomBytes(MiB + 123);
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300, contentLength: body.length });
        expect(signed.method).toBe('PUT');
        expect(signed.headers['Content-Type']).toBe(TYPE);
        expect(signed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 200_000);
        const response = await put(signed, body);
        expect(response.status).toBe(200);
        expect(response.headers.get('etag')).toBe(`"${etagOf(body)}"`);

        const info = await driver().head(key);
        expect(info).toMatchObject({ size: body.length, contentType: TYPE, etag: response.headers.get('etag') });
        expect(Math.abs(info!.lastModified.getTime() - Date.now())).toBeLessThan(10 * 60_000);
        const read = await get(key);
        expect(read.status).toBe(200);
        expect(read.headers.get('content-type')).toBe(TYPE);
        expect(sha256(await bytesOf(read))).toBe(sha256(body));
      });

      it('answers null for the head of a missing object, and 404 for its GET', async () => {
        const key = newKey();
        expect(await driver().head(key)).toBeNull();
        const response = await get(key);
        expect(response.status).toBe(404);
        await response.arrayBuffer();
      });

      it('replaces an object PUT again under the same key', async () => {
        const key = newKey('photos', 'jpg');
        for (const body of [randomBytes(1000), randomBytes(2000)]) {
          const signed = await driver().presignPut(key, { contentType: 'image/jpeg', expiresIn: 300, contentLength: body.length });
          expect((await put(signed, body)).status).toBe(200);
          expect(await driver().head(key)).toMatchObject({ size: body.length, contentType: 'image/jpeg' });
          expect(sha256(await bytesOf(await get(key)))).toBe(sha256(body));
        }
      });

      it('deletes idempotently', async () => {
        const key = newKey();
        const body = randomBytes(100);
        expect((await put(await driver().presignPut(key, { contentType: TYPE, expiresIn: 300 }), body)).status).toBe(200);
        await driver().delete(key);
        expect(await driver().head(key)).toBeNull();
        await driver().delete(key);
        await driver().delete(newKey());
      });

      it('reads a byte range', async () => {
        const key = newKey();
        const body = randomBytes(100_000);
        expect((await put(await driver().presignPut(key, { contentType: TYPE, expiresIn: 300 }), body)).status).toBe(200);
        const response = await get(key, { Range: 'bytes=1000-1999' });
        expect(response.status).toBe(206);
        expect(response.headers.get('content-range')).toBe(`bytes 1000-1999/${body.length}`);
        expect(Buffer.from(await bytesOf(response)).equals(body.subarray(1000, 2000))).toBe(true);
      });

      it('accepts a body matching a signed Content-MD5 and refuses one that does not', async () => {
        const body = randomBytes(5000);
        const contentMd5 = md5(body).digest('base64');
        const good = newKey();
        expect((await put(await driver().presignPut(good, { contentType: TYPE, expiresIn: 300, contentMd5 }), body)).status).toBe(200);
        const bad = newKey();
        const response = await put(await driver().presignPut(bad, { contentType: TYPE, expiresIn: 300, contentMd5 }), randomBytes(5000));
        expect(response.ok).toBe(false);
        await response.arrayBuffer();
        expect(await driver().head(bad)).toBeNull();
      });
    });

    describe('create-only PUT (ifNoneMatch)', () => {
      it('creates the object, then refuses with 412 to replace it, and the first bytes stay', async () => {
        const key = newKey();
        const body = randomBytes(3000);
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300, contentLength: body.length, ifNoneMatch: true });
        const first = await put(signed, body);
        expect(first.status).toBe(200);
        await first.arrayBuffer();
        const again = await put(signed, randomBytes(3000));
        expect(again.status).toBe(412);
        await again.arrayBuffer();
        expect(sha256(await bytesOf(await get(key)))).toBe(sha256(body));
      });

      it('refuses to replace an object another PUT stored', async () => {
        const key = newKey();
        const body = randomBytes(100);
        expect((await put(await driver().presignPut(key, { contentType: TYPE, expiresIn: 300 }), body)).status).toBe(200);
        const refused = await put(await driver().presignPut(key, { contentType: TYPE, expiresIn: 300, ifNoneMatch: true }), randomBytes(100));
        expect(refused.status).toBe(412);
        await refused.arrayBuffer();
        expect(sha256(await bytesOf(await get(key)))).toBe(sha256(body));
      });

      it('gives the headers the PUT must carry, and a request without them stores nothing', async () => {
        const key = newKey();
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300, ifNoneMatch: true });
        const extra = Object.keys(signed.headers).filter((name) => name.toLowerCase() !== 'content-type');
        if (extra.length === 0) return; // the condition is in the URL itself (the local store)
        expect(extra.map((name) => name.toLowerCase())).toContain('if-none-match');
        const bare = await fetch(signed.url, { method: 'PUT', headers: { 'Content-Type': TYPE }, body: randomBytes(100) });
        expect(bare.ok).toBe(false);
        await bare.arrayBuffer();
        expect(await driver().head(key)).toBeNull();
      });
    });

    describe('readStart', () => {
      it('reads the first bytes of an object, all of a short one, and null for a missing one', async () => {
        const key = newKey();
        const body = randomBytes(200_000);
        expect((await put(await driver().presignPut(key, { contentType: TYPE, expiresIn: 300 }), body)).status).toBe(200);
        expect(Buffer.from((await driver().readStart(key, 1000))!).equals(body.subarray(0, 1000))).toBe(true);
        // Never more than 64 KiB: the app reads an opening, not the file.
        expect((await driver().readStart(key, 10 * MiB))!.length).toBe(64 * 1024);
        const short = newKey();
        const little = randomBytes(10);
        expect((await put(await driver().presignPut(short, { contentType: TYPE, expiresIn: 300 }), little)).status).toBe(200);
        expect(Buffer.from((await driver().readStart(short, 1000))!).equals(little)).toBe(true);
        expect(await driver().readStart(newKey(), 1000)).toBeNull();
      });
    });

    describe('refused PUTs store nothing', () => {
      const refused = async (key: string, response: Response) => {
        expect(response.ok).toBe(false);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        await response.arrayBuffer();
        expect(await driver().head(key)).toBeNull();
      };

      it('a tampered signature', async () => {
        const key = newKey();
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300 });
        const url = new URL(signed.url);
        const param = [...url.searchParams.keys()].find((name) => /signature/i.test(name));
        expect(param).toBeDefined();
        const value = url.searchParams.get(param!)!;
        url.searchParams.set(param!, (value[0] === 'a' ? 'b' : 'a') + value.slice(1));
        await refused(key, await put({ ...signed, url: url.toString() }, randomBytes(100)));
      });

      it('another content type than signed', async () => {
        const key = newKey();
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300 });
        await refused(key, await put(signed, randomBytes(100), { 'Content-Type': 'text/html' }));
      });

      it('a longer body than the signed length', async () => {
        const key = newKey();
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300, contentLength: 1000 });
        await refused(key, await put(signed, randomBytes(1001)));
      });

      it('a shorter body than the signed length', async () => {
        const key = newKey();
        const signed = await driver().presignPut(key, { contentType: TYPE, expiresIn: 300, contentLength: 1000 });
        await refused(key, await put(signed, randomBytes(999)));
      });
    });

    describe('multipart', () => {
      it('stores parts, lists them, and completes into their concatenation', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
        // Parts may arrive in any order, as they do from parallel uploads.
        const sent = await Promise.all(bodies.map((body, i) => putPart(key, uploadId, i + 1, body)));

        const listed = await driver().listParts(key, uploadId);
        expect(listed).toEqual(bodies.map((body, i) => ({ partNumber: i + 1, size: body.length, etag: sent[i]!.etag })));
        const pending = await driver().listIncompleteMultipart(new Date(Date.now() + 3600_000));
        expect(pending).toContainEqual({ key, uploadId, initiated: expect.any(Date) });
        const older = await driver().listIncompleteMultipart(new Date(Date.now() - 3600_000));
        expect(older.map((u) => u.uploadId)).not.toContain(uploadId);

        await driver().completeMultipart(key, uploadId, sent);
        const whole = Buffer.concat(bodies);
        const partEtags = Buffer.concat(bodies.map((body) => Buffer.from(etagOf(body), 'hex')));
        expect(await driver().head(key)).toMatchObject({
          size: whole.length,
          contentType: TYPE,
          etag: `"${createHash('md5').update(partEtags).digest('hex')}-3"`,
        });
        expect(sha256(await bytesOf(await get(key)))).toBe(sha256(whole));
        await storageError(driver().listParts(key, uploadId));
        const after = await driver().listIncompleteMultipart(new Date(Date.now() + 3600_000));
        expect(after.map((u) => u.uploadId)).not.toContain(uploadId);
      });

      it('keeps the last copy of a part sent twice', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        await putPart(key, uploadId, 1, randomBytes(1000));
        const again = await putPart(key, uploadId, 1, randomBytes(2000));
        expect(await driver().listParts(key, uploadId)).toEqual([{ partNumber: 1, size: 2000, etag: again.etag }]);
      });

      it('refuses a part smaller than 5 MiB that is not the last', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        const parts = [await putPart(key, uploadId, 1, randomBytes(1000)), await putPart(key, uploadId, 2, randomBytes(1000))];
        const error = await storageError(driver().completeMultipart(key, uploadId, parts));
        expect(['entity_too_small', 'invalid_part']).toContain(error.code);
        expect(await driver().head(key)).toBeNull();
      });

      it('refuses parts of unequal sizes (R2 rule), including a last part larger than the others', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        const parts = [
          await putPart(key, uploadId, 1, randomBytes(5 * MiB)),
          await putPart(key, uploadId, 2, randomBytes(5 * MiB + 1)),
          await putPart(key, uploadId, 3, randomBytes(100)),
        ];
        expect((await storageError(driver().completeMultipart(key, uploadId, parts))).code).toBe('invalid_part');
        expect((await storageError(driver().completeMultipart(key, uploadId, parts.slice(0, 2)))).code).toBe('invalid_part');
        expect(await driver().head(key)).toBeNull();
        // A refused list leaves the upload as it was, to be completed correctly.
        expect((await driver().listParts(key, uploadId)).map((p) => p.size)).toEqual([5 * MiB, 5 * MiB + 1, 100]);
      });

      it('refuses a part ETag that was never stored', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        const part = await putPart(key, uploadId, 1, randomBytes(1000));
        const error = await storageError(driver().completeMultipart(key, uploadId, [{ partNumber: 1, etag: `"${'0'.repeat(32)}"` }]));
        expect(error.code).toBe('invalid_part');
        await driver().completeMultipart(key, uploadId, [part]);
        expect(await driver().head(key)).toMatchObject({ size: 1000 });
      });

      it('aborts, leaving nothing, and aborts again without error', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        await putPart(key, uploadId, 1, randomBytes(5 * MiB));
        await driver().abortMultipart(key, uploadId);
        expect((await storageError(driver().listParts(key, uploadId))).code).toBe('no_such_upload');
        expect(await driver().head(key)).toBeNull();
        const pending = await driver().listIncompleteMultipart(new Date(Date.now() + 3600_000));
        expect(pending.map((u) => u.uploadId)).not.toContain(uploadId);
        await driver().abortMultipart(key, uploadId);
      });

      it('refuses part URLs once the upload is completed or aborted, and the object stays as assembled', async () => {
        const key = newKey();
        const uploadId = await startUpload(key);
        const body = randomBytes(1000);
        const late = await driver().presignPart(key, uploadId, 1, { expiresIn: 300, contentLength: body.length });
        await driver().completeMultipart(key, uploadId, [await putPart(key, uploadId, 1, body)]);
        const replay = await put(late, randomBytes(1000));
        expect(replay.ok).toBe(false);
        await replay.arrayBuffer();
        expect(sha256(await bytesOf(await get(key)))).toBe(sha256(body));

        const aborted = newKey();
        const abortedId = await startUpload(aborted);
        const url = await driver().presignPart(aborted, abortedId, 1, { expiresIn: 300, contentLength: 1000 });
        await driver().abortMultipart(aborted, abortedId);
        const after = await put(url, randomBytes(1000));
        expect(after.ok).toBe(false);
        await after.arrayBuffer();
        expect(await driver().head(aborted)).toBeNull();
        expect((await storageError(driver().listParts(aborted, abortedId))).code).toBe('no_such_upload');
      });

      it('says no_such_upload for an upload it never started', async () => {
        const key = newKey();
        const other = newKey();
        const uploadId = await startUpload(other);
        expect((await storageError(driver().listParts(key, uploadId))).code).toBe('no_such_upload');
      });
    });
  });
}
