import type { BigIntStats } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, type ObjectInfo } from '../driver.ts';
import { isMissing, unlinkIfThere, type Layout } from './layout.ts';

/**
 * The local store's objects: a data file under the root and a meta file beside it in
 * `.airlift/meta/`, matched by the data file's inode so that a reader never pairs the bytes of
 * one version with the description of another.
 */
export class Objects {
  constructor(
    private readonly layout: Layout,
    private readonly now: () => number,
  ) {}

  /**
   * Moves a fully received file into place as `key`. The metadata goes first, then the data
   * file is renamed: the object appears whole, and a reader matches the two by inode.
   */
  async commit(key: string, file: string, info: { contentType: string; size: number; etag: string }, createOnly = false): Promise<void> {
    const target = this.layout.objectPath(key);
    await this.refuseVoided(key);
    if (createOnly) await this.refuseExisting(key);
    const { ino } = await stat(file, { bigint: true });
    const meta: ObjectMeta = { key, ...info, lastModified: new Date(this.now()).toISOString(), ino: ino.toString() };
    const metaFile = this.layout.metaPath(key);
    const metaTemp = this.layout.tempPath();
    try {
      await writeFile(metaTemp, JSON.stringify(meta), { flag: 'wx' });
      await mkdir(path.dirname(metaFile), { recursive: true });
      await rename(metaTemp, metaFile);
    } finally {
      await rm(metaTemp, { force: true });
    }
    await mkdir(path.dirname(target), { recursive: true });
    if (!createOnly) return rename(file, target);
    // Create only: link fails if another PUT placed the object meanwhile; the meta file, matched by inode, then describes nothing.
    try {
      await link(file, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw objectExists();
      throw error;
    }
    await rm(file, { force: true });
  }

  /** Throws `precondition_failed` when an object is stored under `key` (a create-only PUT). */
  async refuseExisting(key: string): Promise<void> {
    if (await this.head(key)) throw objectExists();
  }

  /** Throws `url_voided` when `key` was deleted: no URL signed for it may write it again. */
  async refuseVoided(key: string): Promise<void> {
    try {
      await stat(this.layout.voidPath(key));
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    throw new StorageError('url_voided', 'The upload of this object was cancelled or its file deleted: this URL can no longer write it. Start a new upload.');
  }

  /** The first `bytes` of the object, or null when there is none. */
  async readStart(key: string, bytes: number): Promise<Buffer | null> {
    const opened = await this.open(key);
    if (!opened) return null;
    try {
      const buffer = Buffer.alloc(Math.min(bytes, opened.info.size));
      const { bytesRead } = await opened.handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await opened.handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    let stats: BigIntStats;
    try {
      stats = await stat(this.layout.objectPath(key), { bigint: true });
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    return stats.isFile() ? this.#describe(key, stats) : null;
  }

  /** Opens the object for reading: the handle and the description of exactly the bytes it reads. */
  async open(key: string): Promise<{ handle: FileHandle; info: ObjectInfo } | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.layout.objectPath(key), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      const stats = await handle.stat({ bigint: true });
      if (!stats.isFile()) {
        await handle.close();
        return null;
      }
      return { handle, info: await this.#describe(key, stats) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Removes the object's data and meta files. Idempotent. */
  async delete(key: string): Promise<void> {
    for (const file of [this.layout.objectPath(key), this.layout.metaPath(key)]) await unlinkIfThere(file);
  }

  async #describe(key: string, stats: BigIntStats): Promise<ObjectInfo> {
    let meta: ObjectMeta | null = null;
    try {
      meta = JSON.parse(await readFile(this.layout.metaPath(key), 'utf8')) as ObjectMeta;
    } catch (error) {
      if (!isMissing(error) && !(error instanceof SyntaxError)) throw error;
    }
    if (meta && meta.key === key && meta.ino === stats.ino.toString() && meta.size === Number(stats.size)) {
      return { size: meta.size, contentType: meta.contentType, etag: meta.etag, lastModified: new Date(meta.lastModified) };
    }
    // A crash between the two renames of a commit, or two writers at once: describe the bytes actually there.
    return {
      size: Number(stats.size),
      contentType: meta?.contentType ?? 'application/octet-stream',
      etag: `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}"`,
      lastModified: stats.mtime,
    };
  }
}

interface ObjectMeta {
  key: string;
  contentType: string;
  size: number;
  etag: string;
  lastModified: string;
  /** The data file's inode: a meta file that does not match it describes another version of the object. */
  ino: string;
}

const objectExists = () =>
  new StorageError('precondition_failed', 'An object is already stored under this key, and this URL may only create it: the upload is complete, so its file cannot be replaced.');
