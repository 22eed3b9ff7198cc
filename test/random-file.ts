import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mediaOpening } from './media-bytes.ts';

/**
 * Writes `size` random bytes to `file` without holding them in memory; returns their sha-256 (hex).
 * With `contentType`, the file opens as a real file of that type does (see media-bytes.ts).
 */
export async function writeRandomFile(file: string, size: number, contentType?: string): Promise<string> {
  const chunkSize = 4 * 1024 * 1024;
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const opening = contentType ? mediaOpening(contentType) : Buffer.alloc(0);
  for (let written = 0; written < size; ) {
    const chunk = written === 0 && opening.length > 0 ? Buffer.concat([opening, randomBytes(Math.max(0, Math.min(chunkSize, size) - opening.length))]).subarray(0, size) : randomBytes(Math.min(chunkSize, size - written));
    hash.update(chunk);
    written += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}
