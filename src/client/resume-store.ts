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
  /** Every record of uploads of `kind`, with its key: what a page can offer to continue. */
  list(kind: MediaKind): Promise<{ key: string; record: ResumeRecord }[]>;
  set(key: string, record: ResumeRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The same file chosen again gives the same key: kind, name, size and modification time. */
export function resumeKey(file: { kind: string; filename: string; size: number; lastModified: number }): string {
  return `${keyPrefix(file.kind)}${file.size}:${file.lastModified}:${file.filename}`;
}

const keyPrefix = (kind: string) => `airlift:upload:${kind}:`;

/** A stored record as the engine wrote it, or undefined when it is not one (another version's, or damaged). */
function parseRecord(text: string | null): ResumeRecord | undefined {
  if (text === null) return undefined;
  try {
    const record = JSON.parse(text) as Partial<ResumeRecord>;
    if (typeof record.uploadId === 'string' && typeof record.partSize === 'number' && typeof record.filename === 'string' && typeof record.size === 'number') {
      return record as ResumeRecord;
    }
  } catch {
    // Unreadable: treated as absent, and replaced by the next upload of that file.
  }
  return undefined;
}

/** For Node, and for pages that should not resume across reloads. */
export class MemoryResumeStore implements ResumeStore {
  readonly #records = new Map<string, ResumeRecord>();

  async get(key: string) {
    return this.#records.get(key);
  }

  async list(kind: MediaKind) {
    return [...this.#records].filter(([key]) => key.startsWith(keyPrefix(kind))).map(([key, record]) => ({ key, record }));
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
    return parseRecord(this.storage.getItem(key));
  }

  async list(kind: MediaKind) {
    const found: { key: string; record: ResumeRecord }[] = [];
    for (let index = 0; index < this.storage.length; index++) {
      const key = this.storage.key(index);
      const record = key?.startsWith(keyPrefix(kind)) ? parseRecord(this.storage.getItem(key)) : undefined;
      if (key && record) found.push({ key, record });
    }
    return found;
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
