/**
 * What survives a page reload: the identity of each unfinished multipart upload, keyed by
 * the file's fingerprint, so choosing the same file again continues the same upload. The
 * parts themselves are asked from the server, never remembered here.
 */
import type { MediaKind } from '../shared/media-kind.ts';

export interface ResumeRecord {
  uploadId: string;
  filename: string;
  size: number;
  lastModified: number;
  kind: MediaKind;
  partSize: number;
}

export interface ResumeStore {
  get(key: string): Promise<ResumeRecord | undefined>;
  set(key: string, record: ResumeRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The same file chosen again gives the same key: kind, name, size and modification time. */
export function resumeKey(file: { kind: string; filename: string; size: number; lastModified: number }): string {
  return `airlift:upload:${file.kind}:${file.size}:${file.lastModified}:${file.filename}`;
}

/** For Node, and for pages that should not resume across reloads. */
export class MemoryResumeStore implements ResumeStore {
  readonly #records = new Map<string, ResumeRecord>();

  async get(key: string) {
    return this.#records.get(key);
  }

  async set(key: string, record: ResumeRecord) {
    this.#records.set(key, record);
  }

  async delete(key: string) {
    this.#records.delete(key);
  }
}

/**
 * Backed by Web Storage (`localStorage`). A full or disabled storage only costs the resume
 * after a reload, never the upload: writes that fail are reported and skipped.
 */
export class WebStorageResumeStore implements ResumeStore {
  constructor(readonly storage: Storage) {}

  async get(key: string) {
    const text = this.storage.getItem(key);
    if (text === null) return undefined;
    try {
      const record = JSON.parse(text) as Partial<ResumeRecord>;
      if (typeof record.uploadId === 'string' && typeof record.partSize === 'number') return record as ResumeRecord;
    } catch {
      // Unreadable: treated as absent, and replaced by the next upload of that file.
    }
    return undefined;
  }

  async set(key: string, record: ResumeRecord) {
    try {
      this.storage.setItem(key, JSON.stringify(record));
    } catch (error) {
      console.warn('Airlift: cannot keep the upload for a resume after reload:', error);
    }
  }

  async delete(key: string) {
    this.storage.removeItem(key);
  }
}
