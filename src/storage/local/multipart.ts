import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { alive } from '../../processes.ts';
import { pipeline } from 'node:stream/promises';
import { MULTIPART_LIMITS, StorageError, type StoredPart } from '../driver.ts';
import { partSizeProblem } from '../part-rules.ts';
import { ownFile, Writer, type BodyTarget } from './body.ts';
import { IO_CHUNK, isMissing, removeQuietly, type Layout } from './layout.ts';
import type { Objects } from './objects.ts';
import {
  checkPartList,
  DATA_FILE,
  latestVersion,
  multipartEtag,
  nextVersion,
  noSuchUpload,
  partsIn,
  placedVersion,
  readUploadFile,
  stripQuotes,
  UPLOAD_FILE,
  type UploadMeta,
} from './part-files.ts';

type ListedPart = { partNumber: number; etag: string };

/** In an upload being completed: the object its commit puts at the key. */
const OBJECT_FILE = 'object.json';
interface CommittedObject {
  size: number;
  etag: string;
}

/** In an upload being completed: the process completing it. */
const CLAIM_FILE = 'claim.json';
interface Claim {
  pid: number;
  host: string;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if (isMissing(error) || error instanceof SyntaxError) return null;
    throw error;
  }
}

/**
 * The local store's multipart uploads. With a part size, each part is written in place in the
 * upload's data file as it arrives, so completing renames that file into the root and copies
 * nothing; a part that does not fit goes into a file of its own, and completing copies.
 * Arguments are checked by the store (index.ts) before they reach here.
 */
export class Multipart {
  /** Bodies being written in place, by upload and part number (one at a time per part). */
  readonly #writers = new Map<string, Map<number, Writer>>();
  /** Uploads being completed: no new body is written into them in place. */
  readonly #closing = new Set<string>();

  constructor(
    private readonly layout: Layout,
    private readonly objects: Objects,
    private readonly now: () => number,
  ) {}

  async create(key: string, contentType: string, partSize: number | undefined): Promise<string> {
    const uploadId = randomBytes(16).toString('hex');
    // Built aside then renamed, so an upload is listed only once its upload.json is whole.
    const staging = this.layout.tempPath();
    try {
      await mkdir(staging);
      const meta: UploadMeta = { key, contentType, initiated: new Date(this.now()).toISOString(), partSize };
      if (partSize) await writeFile(path.join(staging, DATA_FILE), '', { flag: 'wx' });
      await writeFile(path.join(staging, UPLOAD_FILE), JSON.stringify(meta), { flag: 'wx' });
      await rename(staging, this.layout.uploadDir(uploadId));
    } catch (error) {
      await removeQuietly(staging);
      throw error;
    }
    return uploadId;
  }

  async list(key: string, uploadId: string): Promise<StoredPart[]> {
    const upload = await this.#readUpload(key, uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    try {
      return await partsIn(this.layout.uploadDir(uploadId), upload);
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
  }

  /**
   * Where to write part `partNumber` of `length` bytes (when known): in place inside the
   * upload's data file when the upload has a part size, the part fits it, and no other copy of
   * the part is being written there; otherwise a temp file of its own. Throws `no_such_upload`.
   */
  async beginPart(key: string, uploadId: string, partNumber: number, length: number | undefined): Promise<BodyTarget> {
    const upload = await this.#readUpload(key, uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    const dir = this.layout.uploadDir(uploadId);
    const writers = this.#writers.get(uploadId) ?? new Map<number, Writer>();
    const { partSize } = upload;
    // No await between these checks and the registration below: JavaScript runs them as one step.
    const inPlace = partSize !== undefined && length !== undefined && length <= partSize && !writers.has(partNumber) && !this.#closing.has(uploadId);
    if (!inPlace) return ownFile(this.layout.tempPath(), (file, etag) => this.#recordPart(uploadId, partNumber, nextVersion(etag), file));
    const writer = new Writer();
    writers.set(partNumber, writer);
    this.#writers.set(uploadId, writers);
    const release = async () => {
      if (writers.get(partNumber) === writer) writers.delete(partNumber);
      if (writers.size === 0 && this.#writers.get(uploadId) === writers) this.#writers.delete(uploadId);
      writer.closed();
    };
    try {
      // The bytes are about to be overwritten: a copy of this part kept in place is void from now on
      // (unlike S3, which keeps it until the new one is whole; the client sends the part again).
      const partDir = path.join(dir, String(partNumber));
      for (const name of await readdir(partDir).catch(() => [])) {
        if (name.endsWith('.placed')) await rm(path.join(partDir, name), { force: true });
      }
    } catch (error) {
      await release();
      throw error;
    }
    return {
      file: path.join(dir, DATA_FILE),
      start: (partNumber - 1) * partSize,
      flags: 'r+',
      limit: partSize,
      signal: writer.controller.signal,
      resumable: false,
      commit: (etag, size) => this.#recordPart(uploadId, partNumber, placedVersion(etag, size), null),
      release,
    };
  }

  /**
   * Adds a version of a part (moving `file` in, or creating an empty marker), then drops the
   * versions it replaces. A part sent again replaces the earlier one, as in S3.
   */
  async #recordPart(uploadId: string, partNumber: number, name: string, file: string | null): Promise<void> {
    const dir = path.join(this.layout.uploadDir(uploadId), String(partNumber));
    try {
      // Not recursive: an upload completed or aborted meanwhile must not be brought back.
      await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      if (file) await rename(file, path.join(dir, name));
      else await writeFile(path.join(dir, name), '', { flag: 'wx' });
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
    // Only older versions go, so a copy of the part received meanwhile still wins.
    for (const other of await readdir(dir).catch(() => [])) {
      if (other < name) await rm(path.join(dir, other), { force: true });
    }
  }

  /** Stops every body still being written in place into this upload and waits until their files are closed. */
  async #stopWriters(uploadId: string): Promise<void> {
    await Promise.all([...(this.#writers.get(uploadId)?.values() ?? [])].map((writer) => writer.stop(noSuchUpload(uploadId))));
  }

  async complete(key: string, uploadId: string, parts: ListedPart[]): Promise<void> {
    checkPartList(parts);
    const upload = await this.#readUpload(key, uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    this.#closing.add(uploadId);
    try {
      // Parts still coming would write into the object once it is in place: they are refused, as S3 refuses them after completion.
      await this.#stopWriters(uploadId);
      await this.#assemble(key, uploadId, upload, parts);
    } finally {
      this.#closing.delete(uploadId);
    }
  }

  async #assemble(key: string, uploadId: string, upload: UploadMeta, parts: ListedPart[]): Promise<void> {
    // Claim the upload by moving it aside: parts arriving now, a second complete or an abort find
    // nothing. Into completing/, not tmp/: a crash from here on leaves the parts or the object
    // there for `recoverCompletes`, never neither.
    const claimed = this.layout.completingPath(uploadId);
    try {
      await rename(this.layout.uploadDir(uploadId), claimed);
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
    await writeFile(path.join(claimed, CLAIM_FILE), JSON.stringify({ pid: process.pid, host: hostname() } satisfies Claim)).catch(() => undefined);
    let completed = false;
    const assembled = this.layout.tempPath();
    try {
      const chosen = await Promise.all(
        parts.map(async ({ partNumber, etag }) => {
          const stored = await latestVersion(claimed, upload, partNumber);
          if (!stored || stored.etag !== stripQuotes(etag).toLowerCase()) {
            throw new StorageError('invalid_part', `Part ${partNumber} with ETag ${etag} is not stored in this upload: list the parts and send their ETags.`);
          }
          return { partNumber, ...stored };
        }),
      );
      // The local store has no S3 behind it to apply the 5 MiB floor: it applies it itself.
      const problem = partSizeProblem(chosen, { minPartSize: MULTIPART_LIMITS.minPartSize });
      if (problem) throw new StorageError(problem.code, `The parts of ${key} cannot be assembled: ${problem.message}`);
      const size = chosen.reduce((sum, part) => sum + part.size, 0);
      const info = { contentType: upload.contentType, size, etag: multipartEtag(chosen.map((p) => p.etag)) };
      // Said before the commit, so that after a crash the object can be told from an older one at the key.
      await writeFile(path.join(claimed, OBJECT_FILE), JSON.stringify({ size, etag: info.etag } satisfies CommittedObject));
      // Parts 1..n all in place at their final offsets: the data file is the object already.
      const inPlace = chosen.every((part, i) => part.placed && part.partNumber === i + 1 && (i === chosen.length - 1 || part.size === upload.partSize));
      if (inPlace) {
        const data = path.join(claimed, DATA_FILE);
        await truncate(data, size);
        await this.objects.commit(key, data, info);
      } else {
        await pipeline(async function* () {
          for (const part of chosen) {
            if (part.size > 0) yield* createReadStream(part.file, { start: part.start, end: part.start + part.size - 1, highWaterMark: IO_CHUNK });
          }
        }, createWriteStream(assembled, { flags: 'wx', highWaterMark: IO_CHUNK }));
        await this.objects.commit(key, assembled, info);
      }
      completed = true;
    } finally {
      await rm(assembled, { force: true });
      if (completed) await removeQuietly(claimed);
      // Give a refused upload back, so the client can correct its list and try again.
      else await this.#giveBack(uploadId);
    }
  }

  /** Puts an upload being completed back among the open ones, as it was. */
  async #giveBack(uploadId: string): Promise<void> {
    const claimed = this.layout.completingPath(uploadId);
    for (const name of [OBJECT_FILE, CLAIM_FILE]) await rm(path.join(claimed, name), { force: true });
    await rename(claimed, this.layout.uploadDir(uploadId)).catch(() => undefined);
  }

  /**
   * After a crash (a kill -9, a power cut) in the middle of a complete: an upload whose object
   * was committed is done with, and its folder goes; any other is given back with its parts, to
   * be completed again. Run when the store opens, before it serves.
   */
  async recoverCompletes(): Promise<{ completed: number; givenBack: number }> {
    const result = { completed: 0, givenBack: 0 };
    for (const uploadId of await readdir(this.layout.completingDir)) {
      const claimed = this.layout.completingPath(uploadId);
      const meta = await readJson<UploadMeta>(path.join(claimed, UPLOAD_FILE));
      // Another process on this data folder (`airlift sweep` beside the server) is completing it now.
      const claim = await readJson<Claim>(path.join(claimed, CLAIM_FILE));
      if (!meta || (claim && claim.host === hostname() && claim.pid !== process.pid && alive(claim.pid))) continue;
      const object = await readJson<CommittedObject>(path.join(claimed, OBJECT_FILE));
      const stored = object && (await this.objects.head(meta.key));
      if (object && stored && stored.etag === object.etag && stored.size === object.size) {
        await removeQuietly(claimed);
        result.completed += 1;
      } else {
        await this.#giveBack(uploadId);
        result.givenBack += 1;
      }
    }
    return result;
  }

  async abort(key: string, uploadId: string): Promise<void> {
    if (!(await this.#readUpload(key, uploadId))) return;
    await this.#stopWriters(uploadId);
    const claimed = this.layout.tempPath();
    try {
      await rename(this.layout.uploadDir(uploadId), claimed);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    await removeQuietly(claimed);
  }

  async listIncomplete(olderThan: Date): Promise<{ key: string; uploadId: string; initiated: Date }[]> {
    const found: { key: string; uploadId: string; initiated: Date }[] = [];
    for (const uploadId of await readdir(this.layout.uploadsDir)) {
      const meta = await readUploadFile(this.layout, uploadId);
      if (!meta) continue;
      const initiated = new Date(meta.initiated);
      if (initiated < olderThan) found.push({ key: meta.key, uploadId, initiated });
    }
    return found.sort((a, b) => a.initiated.getTime() - b.initiated.getTime());
  }

  async #readUpload(key: string, uploadId: string): Promise<UploadMeta | null> {
    const meta = await readUploadFile(this.layout, uploadId);
    return meta && meta.key === key ? meta : null;
  }
}
