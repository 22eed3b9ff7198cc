import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BodyHasher, etagOf, type HashJob } from './hasher.ts';

/** Feeds `data` to `job` in chunks of uneven sizes, waiting whenever its buffers are all in flight. */
async function feed(job: HashJob, data: Buffer): Promise<void> {
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = [1, 4093, 65_536, 3 * 1024 ** 2 + 7][i % 4]!;
    await job.update(data.subarray(offset, offset + size));
    offset += size;
  }
}

describe('BodyHasher (hash-worker.ts on a worker thread)', () => {
  const hasher = new BodyHasher();
  afterAll(() => hasher.close());
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
  const md5 = (data: Buffer) => createHash('md5').update(data).digest();

  it('gives the SHA-256 of the bytes, and the ETag as its first 128 bits', async () => {
    const data = randomBytes(9 * 1024 ** 2 + 123);
    const job = hasher.start({ md5: false });
    await feed(job, data);
    const digests = await job.digest();
    job.cancel();
    expect(digests.sha256).toEqual(sha256(data));
    expect(digests.md5).toBeUndefined();
    expect(etagOf(digests)).toBe(sha256(data).toString('hex').slice(0, 32));
  });

  it('also gives the MD5 when asked, for jobs running side by side', async () => {
    const bodies = [randomBytes(5 * 1024 ** 2), randomBytes(17), Buffer.alloc(0)];
    const results = await Promise.all(
      bodies.map(async (data) => {
        const job = hasher.start({ md5: true });
        await feed(job, data);
        const digests = await job.digest();
        job.cancel();
        return digests;
      }),
    );
    results.forEach((digests, i) => {
      expect(digests.sha256).toEqual(sha256(bodies[i]!));
      expect(digests.md5).toEqual(md5(bodies[i]!));
    });
  });

  it('starts a new worker after being closed', async () => {
    await hasher.close();
    const job = hasher.start({ md5: false });
    await feed(job, Buffer.from('hello'));
    expect((await job.digest()).sha256).toEqual(sha256(Buffer.from('hello')));
    job.cancel();
  });
});
