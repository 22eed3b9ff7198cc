import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settled } from '../../../test/settled.ts';
import { localEtag, MiB, servedStore, TYPE } from './testing.ts';

describe('local store held PUT bodies', { timeout: 30_000 }, () => {
  const { served, store, newKey, stored, errorOf, putBytes, slowPut, sha, read, eventually } = servedStore();

  describe('single PUTs cut short and continued', () => {
    const holdsFile = (key: string) => existsSync(path.join(served().objects, '.airlift', 'partial', createHash('sha256').update(key).digest('hex')));
    /** Sends `body` (the object's bytes from `from`) with the Content-Range that continues a held body. */
    const continuePut = (url: string, body: Buffer, from: number, size: number, headers: Record<string, string> = { 'Content-Type': TYPE }) =>
      putBytes(url, new Uint8Array(body), { ...headers, 'Content-Range': `bytes ${from}-${size - 1}/${size}` });
    /** Starts a PUT of `object`, cuts it once the store holds at least `atLeast` bytes, and returns how many it kept. */
    const cutAfter = async (key: string, url: string, object: Buffer, atLeast: number) => {
      const slow = slowPut(url, { 'Content-Type': TYPE }, object, atLeast + MiB);
      await eventually(async () => (await store().heldBytes(key)) >= atLeast);
      slow.cut();
      await slow.answer.catch(() => undefined);
      // The store writes every byte that arrived, then lets the body go.
      return settled(() => store().heldBytes(key), 20);
    };

    it('keeps the bytes of a PUT whose client went away; the same URL with Content-Range sends the rest, and the object is whole', async () => {
      const key = newKey();
      const object = randomBytes(8 * MiB);
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length });
      const held = await cutAfter(key, signed.url, object, 2 * MiB);
      expect(held).toBeGreaterThanOrEqual(2 * MiB);
      expect(held).toBeLessThanOrEqual(3 * MiB);
      expect(stored(key)).toBe(false);

      const response = await continuePut(signed.url, object.subarray(held), held, object.length);
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${localEtag(object)}"`);
      expect(sha(await read(key))).toBe(sha(object));
      expect(await store().head(key)).toMatchObject({ size: object.length, contentType: TYPE, etag: `"${localEtag(object)}"` });
      expect(holdsFile(key)).toBe(false);
    });

    it('checks a promised Content-MD5 against the whole object, held bytes included', async () => {
      const key = newKey();
      const object = randomBytes(6 * MiB);
      const md5 = createHash('md5').update(object).digest('base64');
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length, contentMd5: md5 });
      const held = await cutAfter(key, signed.url, object, MiB);
      const tampered = Buffer.from(object.subarray(held));
      tampered[0] = tampered[0]! ^ 1;
      const refused = await continuePut(signed.url, tampered, held, object.length, signed.headers);
      expect(refused.status).toBe(400);
      expect((await errorOf(refused)).code).toBe('bad_digest');
      expect(stored(key)).toBe(false);
      // A refused body is dropped, held bytes and all: the client starts over.
      expect(await store().heldBytes(key)).toBe(0);
      expect((await putBytes(signed.url, new Uint8Array(object), signed.headers)).status).toBe(200);
      expect(sha(await read(key))).toBe(sha(object));
    });

    it('refuses a Content-Range that does not continue this URL\'s object, and keeps the held bytes', async () => {
      const key = newKey();
      const object = randomBytes(6 * MiB);
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length });
      const held = await cutAfter(key, signed.url, object, MiB);
      const gap = await continuePut(signed.url, object.subarray(held + 10), held + 10, object.length);
      expect(gap.status).toBe(409);
      expect(await errorOf(gap)).toEqual({ code: 'offset_mismatch', message: expect.stringContaining(`holds ${held} bytes`) });
      const wrongSize = await putBytes(signed.url, new Uint8Array(object.subarray(held)), { 'Content-Type': TYPE, 'Content-Range': `bytes ${held}-${object.length}/${object.length + 1}` });
      expect(wrongSize.status).toBe(400);
      expect((await errorOf(wrongSize)).code).toBe('invalid_range');
      const unsized = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, maxLength: object.length });
      const noLength = await continuePut(unsized.url, object.subarray(held), held, object.length);
      expect(noLength.status).toBe(400);
      expect((await errorOf(noLength)).message).toContain('signed for an exact length');
      expect(await store().heldBytes(key)).toBe(held);
      // Continuing from before the held end sends those bytes again: fine, they are the same.
      const overlap = await continuePut(signed.url, object.subarray(held - 1000), held - 1000, object.length);
      expect(overlap.status).toBe(200);
      expect(sha(await read(key))).toBe(sha(object));
    });

    it('a newer PUT of the object stops one still sending, keeping its bytes; a delete drops them', async () => {
      const key = newKey();
      const object = randomBytes(8 * MiB);
      const signed = await store().presignPut(key, { contentType: TYPE, expiresIn: 60, contentLength: object.length });
      const stale = slowPut(signed.url, { 'Content-Type': TYPE }, object, 3 * MiB);
      await eventually(async () => (await store().heldBytes(key)) >= 2 * MiB);
      const held = await store().heldBytes(key);
      const newer = slowPut(signed.url, { 'Content-Type': TYPE, 'Content-Range': `bytes ${held}-${object.length - 1}/${object.length}` }, object.subarray(held), MiB);
      // The stopped PUT's answer says why, not "send the whole file" (its client, if still there, lost to a newer one).
      const answer = await stale.answer;
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error: { code: 'incomplete_body', message: expect.stringMatching(/^The store stopped this body after \d+ of the 8388608 bytes this URL was signed for: A newer PUT of this object replaced this one\.$/) },
      });
      await eventually(async () => (await store().heldBytes(key)) >= held + MiB);
      await store().delete(key);
      expect(holdsFile(key)).toBe(false);
      newer.finish();
      expect((await newer.answer.catch(() => ({ status: 0 }))).status).not.toBe(200);
      expect(stored(key)).toBe(false);
    });
  });
});
