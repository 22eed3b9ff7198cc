import path from 'node:path';
import type { Config } from '../config.ts';
import type { StorageDriver } from './driver.ts';
import { createLocalStore } from './local/index.ts';
import { createS3Store } from './s3.ts';

/** The S3 driver when R2 is configured, otherwise the local store under DATA_DIR. */
export function createStorage(config: Config): Promise<StorageDriver> {
  if (config.r2) return createS3Store(config.r2);
  return createLocalStore({
    root: path.join(config.dataDir, 'objects'),
    baseUrl: config.publicBaseUrl,
    secret: config.secretKey,
    // Served from the app's own origin: only the media types the app accepts are shown inline.
    inlineTypes: [...new Set(Object.values(config.allowedTypes).flat())],
  });
}
