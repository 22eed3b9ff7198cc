import { mkdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { StorageError } from '../driver.ts';
import { ownFile, Writer, type BodyTarget } from './body.ts';
import { isMissing, unlinkIfThere, type Layout } from './layout.ts';
import type { Objects } from './objects.ts';

/** Where a single PUT's body goes: its exact length, the byte it continues from, and whether it may only create the object. */
export interface PutTarget {
  length?: number;
  from?: number;
  createOnly?: boolean;
}

/**
 * Single PUTs, and the bodies the store holds of those cut short ('resumable-put'): a PUT signed
 * for an exact length is written into `.airlift/partial/<h>` as it arrives, so what arrived
 * stays when the client goes away and the same URL sends the rest with `Content-Range`.
 */
export class HeldPuts {
  /** Bodies being written into `.airlift/partial/`, by key (one at a time per key). */
  readonly #writers = new Map<string, Writer>();

  constructor(
    private readonly layout: Layout,
    private readonly objects: Objects,
  ) {}

  /** The bytes of `key` held from cut-short PUTs; 0 when none. */
  async heldBytes(key: string): Promise<number> {
    this.layout.objectPath(key);
    const stats = await stat(this.layout.partialPath(key)).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    return stats?.size ?? 0;
  }

  /**
   * Where to write the body of a single PUT of `key`. Without a known `length`, a temp file
   * renamed into place once checked. With one, the object's held body in `.airlift/partial/`,
   * from byte `from` (0 for a fresh body): what arrives is kept if the client goes away, and a
   * later PUT continues it. One body per key: a newer PUT stops the older and waits for its
   * file to close. Throws `offset_mismatch` when `from` is past the bytes held (a gap).
   */
  async beginPut(key: string, contentType: string, { length, from = 0, createOnly = false }: PutTarget = {}): Promise<BodyTarget> {
    this.layout.objectPath(key);
    // Refused before a byte is written (and again at commit, for a PUT that was under way).
    await this.objects.refuseVoided(key);
    if (createOnly) await this.objects.refuseExisting(key);
    if (length === undefined) return ownFile(this.layout.tempPath(), (file, etag, size) => this.objects.commit(key, file, { contentType, size, etag: `"${etag}"` }, createOnly));
    const previous = this.#writers.get(key);
    const writer = new Writer();
    // Registered before any await, so a third PUT waits for this one, not for the first.
    this.#writers.set(key, writer);
    const file = this.layout.partialPath(key);
    let committed = false;
    const release = async (keep: boolean) => {
      if (!committed && !keep) await rm(file, { force: true });
      if (this.#writers.get(key) === writer) this.#writers.delete(key);
      writer.closed();
    };
    try {
      await previous?.stop(new StorageError('store_error', 'A newer PUT of this object replaced this one.'));
      const held = await this.heldBytes(key);
      if (from > held) {
        throw new StorageError('offset_mismatch', `The store holds ${held} bytes of this object, so a body from byte ${from} would leave a gap: continue from byte ${held}.`);
      }
      // A fresh body starts over; a continuation drops what it is about to send again.
      if (from < held || held === 0) {
        await mkdir(this.layout.partialDir, { recursive: true });
        await writeFile(file, '', { flag: 'a' });
        await truncate(file, from);
      }
    } catch (error) {
      await release(true);
      throw error;
    }
    return {
      file,
      start: from,
      flags: 'r+',
      limit: length - from,
      signal: writer.controller.signal,
      resumable: true,
      commit: async (etag, size) => {
        await this.objects.commit(key, file, { contentType, size, etag: `"${etag}"` }, createOnly);
        committed = true;
      },
      release,
    };
  }

  /** Stops a body of `key` still arriving (it keeps its bytes until then), then drops what is held. */
  async drop(key: string): Promise<void> {
    await this.#writers.get(key)?.stop(new StorageError('store_error', 'The object was deleted while this PUT was being received.'));
    await unlinkIfThere(this.layout.partialPath(key));
  }
}
