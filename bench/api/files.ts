/**
 * The uploads of a load run: a seeded plan of sizes, kinds and part sizes (pure), and the
 * files themselves, random bytes written once to disk with their SHA-256 and kept between
 * runs. Each file starts with its format's signature (an MP4 `ftyp` box, a JPEG SOI and
 * JFIF header), so a server that sniffs content sees the type it was told.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { MiB, type ApiBenchSettings } from './settings.ts';
import { seeded } from '../../test/seeded.ts';

export interface UploadJob {
  index: number;
  kind: 'video' | 'photo';
  name: string;
  contentType: string;
  size: number;
  /** The part size the upload asks for (a multipart upload), or undefined for the server's own plan. */
  partSize?: number;
}

export interface JobFile extends UploadJob {
  path: string;
  sha256: string;
}

/** Photos stay below the default photo limit (50 MiB). */
const PHOTO_MAX = 40 * 1e6;
/** In turn: the server's plan (one PUT up to 256 MiB), 8 MiB parts, 16 MiB parts. */
const PART_SIZES = [undefined, 8 * MiB, 16 * MiB];


/** Every fifth upload is a photo; videos and photos alike take the three plans in turn. */
export function planJobs(settings: Pick<ApiBenchSettings, 'uploads' | 'seed' | 'minBytes' | 'maxBytes'>): UploadJob[] {
  const random = seeded(settings.seed);
  return Array.from({ length: settings.uploads }, (_, index) => {
    const photo = index % 5 === 4;
    const max = photo ? Math.max(settings.minBytes, Math.min(settings.maxBytes, PHOTO_MAX)) : settings.maxBytes;
    const size = settings.minBytes + Math.floor(random() * (max - settings.minBytes + 1));
    return {
      index,
      kind: photo ? 'photo' : 'video',
      name: `load-${String(index).padStart(3, '0')}.${photo ? 'jpg' : 'mp4'}`,
      contentType: photo ? 'image/jpeg' : 'video/mp4',
      size,
      partSize: PART_SIZES[index % PART_SIZES.length],
    };
  });
}

const SIGNATURES: Record<string, Buffer> = {
  'video/mp4': Buffer.from('000000186674797069736f6d0000020069736f6d6d703432', 'hex'),
  'image/jpeg': Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
};

/** Writes `size` bytes (the signature, then random bytes) without holding them in memory; returns their SHA-256. */
async function writeFileOf(file: string, size: number, contentType: string): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < size; ) {
    const length = Math.min(4 * MiB, size - written);
    const bytes = randomFillSync(Buffer.allocUnsafe(length));
    if (written === 0) SIGNATURES[contentType]?.copy(bytes);
    hash.update(bytes);
    if (!out.write(bytes)) await once(out, 'drain');
    written += length;
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** The jobs' files in `dir`, written when missing or of another size; their hashes kept in a manifest. */
export async function prepareFiles(jobs: UploadJob[], dir: string, log: (...parts: unknown[]) => void): Promise<JobFile[]> {
  await mkdir(dir, { recursive: true });
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest: Record<string, { size: number; sha256: string }> = existsSync(manifestPath) ? JSON.parse(await readFile(manifestPath, 'utf8')) : {};
  const files: JobFile[] = [];
  let written = 0;
  for (const job of jobs) {
    const file = path.join(dir, job.name);
    const known = manifest[job.name];
    if (!known || known.size !== job.size || !existsSync(file) || statSync(file).size !== job.size) {
      manifest[job.name] = { size: job.size, sha256: await writeFileOf(file, job.size, job.contentType) };
      written += job.size;
    }
    files.push({ ...job, path: file, sha256: manifest[job.name]!.sha256 });
  }
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  if (written) log(`wrote ${(written / 1e9).toFixed(2)} GB of test files to ${dir}`);
  return files;
}
