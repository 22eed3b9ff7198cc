import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../config.ts';
import type { StorageDriver } from './driver.ts';
import { createLocalStore, LocalStore } from './local/index.ts';
import { storagePlugin } from './plugin.ts';

describe('storagePlugin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'airlift-plugin-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const appWith = async (options: { storage?: StorageDriver }) => {
    const app = Fastify();
    const config = { dataDir: dir, publicBaseUrl: 'http://localhost:3000', secretKey: 'a secret for the plugin test', allowedTypes: { video: ['video/mp4'], photo: ['image/jpeg'], cover: ['image/jpeg'] } } as unknown as Config;
    app.decorate('config', config);
    await app.register(storagePlugin, options);
    await app.ready();
    return app;
  };

  it('creates the configured store, decorates the root with it, serves its routes and closes it with the app', async () => {
    const close = vi.spyOn(LocalStore.prototype, 'close');
    try {
      const app = await appWith({});
      expect(app.storage).toBeInstanceOf(LocalStore);
      const answer = await app.inject({ method: 'GET', url: '/store/videos/a.mp4' });
      expect(answer.statusCode).toBe(403);
      expect(answer.json()).toMatchObject({ error: { code: 'access_denied' } });
      expect(close).not.toHaveBeenCalled();
      await app.close();
      expect(close).toHaveBeenCalledTimes(1);
    } finally {
      close.mockRestore();
    }
  });

  it('uses a store it is given and leaves closing it to the caller', async () => {
    const store = await createLocalStore({ root: path.join(dir, 'given'), baseUrl: 'http://localhost:3000', secret: 'another secret' });
    const close = vi.spyOn(store, 'close');
    const app = await appWith({ storage: store });
    expect(app.storage).toBe(store);
    await app.close();
    expect(close).not.toHaveBeenCalled();
  });

  it('registers no routes for a store without the routes extension', async () => {
    const store = { kind: 's3', extensions: [], close: vi.fn() } as unknown as StorageDriver;
    const app = await appWith({ storage: store });
    expect((await app.inject({ method: 'GET', url: '/store/videos/a.mp4' })).statusCode).toBe(404);
    await app.close();
  });
});
