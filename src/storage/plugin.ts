import fp from 'fastify-plugin';
import { hasExtension, type StorageDriver } from './driver.ts';
import { createStorage } from './index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    storage: StorageDriver;
  }
}

export interface StoragePluginOptions {
  /** A driver to use; when absent the plugin creates the configured one (`app.config`) and closes it with the app. */
  storage?: StorageDriver;
}

/**
 * The application's store: decorates `app.storage` on the root, registers the endpoints of a
 * store that serves its own ('routes': the local store's `/store/*`, authorised by their
 * signatures alone, so register this before sessions and CSRF), and closes a store it created
 * in `onClose`. A driver given in the options belongs to the caller, who closes it.
 */
export const storagePlugin = fp<StoragePluginOptions>(
  async (app, options) => {
    const storage = options.storage ?? (await createStorage(app.config));
    app.decorate('storage', storage);
    if (!options.storage) app.addHook('onClose', () => storage.close());
    if (hasExtension(storage, 'routes')) await app.register(storage.routes);
  },
  { name: 'airlift-storage', fastify: '5.x' },
);
