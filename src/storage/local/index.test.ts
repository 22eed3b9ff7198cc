import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageContract } from '../contract.ts';
import { hasExtension } from '../driver.ts';
import { createLocalStore, type LocalStore } from './index.ts';
import { localEtag, serve } from './testing.ts';

storageContract('local store', async () => {
  const served = await serve();
  return { driver: served.store, etagOf: localEtag, close: served.close };
});

describe('local store', () => {
  let dir: string;
  let store: LocalStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'airlift-local-'));
    store = await createLocalStore({ root: path.join(dir, 'objects'), baseUrl: 'http://localhost:3000/', secret: 'golden secret', now: () => 1_700_000_000_000 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is a local driver without public URLs, that keeps cut PUTs and serves its own routes', () => {
    expect(store.kind).toBe('local');
    expect(store.publicUrl()).toBeNull();
    expect(hasExtension(store, 'resumable-put')).toBe(true);
    expect(hasExtension(store, 'routes')).toBe(true);
    expect(typeof store.routes).toBe('function');
  });

  it('signs URLs exactly as it always has, so URLs handed out before still verify', async () => {
    expect((await store.presignPut('videos/été 1.mp4', { contentType: 'video/mp4', expiresIn: 3600, contentLength: 12345 })).url).toBe(
      'http://localhost:3000/store/videos/%C3%A9t%C3%A9%201.mp4?expires=1700003600&type=video%2Fmp4&length=12345&signature=7v-_vK2Z7Vnddqi3jtSyQF-HGryujx8wyDolzmMMr_s',
    );
    expect((await store.presignPut('photos/a.jpg', { contentType: 'image/jpeg', expiresIn: 60, contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==' })).url).toBe(
      'http://localhost:3000/store/photos/a.jpg?expires=1700000060&type=image%2Fjpeg&max=5363466240&md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D&signature=8bfU6HjEXqy-QmpCYgbr1N5skUsGtFiC0DAsqUL7TYQ',
    );
    expect((await store.presignPart('videos/b.mp4', '0123456789abcdef0123456789abcdef', 7, { expiresIn: 600, contentLength: 5242880 })).url).toBe(
      'http://localhost:3000/store/videos/b.mp4?expires=1700000600&length=5242880&upload=0123456789abcdef0123456789abcdef&part=7&signature=G5uxtUr4ERPzUTl8awW-nVxrb1S3tyhG0CpV9QkDjCU',
    );
    expect(await store.presignGet('videos/b.mp4', { expiresIn: 120, filename: 'Été "1".mp4' })).toBe(
      'http://localhost:3000/store/videos/b.mp4?expires=1700000120&filename=%C3%89t%C3%A9+%221%22.mp4&signature=g5rsPePM3Oxx85XsTCcAF0bdqw73XBcr5C4a67W5fgE',
    );
  });

  it('refuses arguments no bucket would sign', async () => {
    await expect(store.presignPut('videos/a.mp4', { contentType: '', expiresIn: 60 })).rejects.toMatchObject({ code: 'store_error' });
    await expect(store.presignPut('videos/a.mp4', { contentType: 'video/mp4', expiresIn: 8 * 24 * 3600 })).rejects.toMatchObject({ code: 'store_error' });
    await expect(store.presignPut('videos/a.mp4', { contentType: 'video/mp4', expiresIn: 60, contentMd5: 'nope' })).rejects.toMatchObject({ code: 'store_error' });
    await expect(store.presignPart('videos/a.mp4', 'not-an-upload', 1, { expiresIn: 60 })).rejects.toMatchObject({ code: 'no_such_upload' });
    await expect(store.presignPart('videos/a.mp4', '0123456789abcdef0123456789abcdef', 10_001, { expiresIn: 60 })).rejects.toMatchObject({ code: 'invalid_part' });
    await expect(store.createMultipart('videos/a.mp4', { contentType: 'video/mp4', partSize: -1 })).rejects.toMatchObject({ code: 'store_error' });
  });
});
