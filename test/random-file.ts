import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Writes `size` random bytes to `file` without holding them in memory; returns their sha-256 (hex). */
export async function writeRandomFile(file: string, size: number): Promise<string> {
  const chunkSize = 4 * 1024 * 1024;
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < size; written += chunkSize) {
    const chunk = randomBytes(Math.min(chunkSize, size - written));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}
