/**
 * The server's upload for a file (its ticket): the one the file began before a reload,
 * found through the resume record, or a new one, recorded when a reload could continue it;
 * and its removal.
 */
import type { CreateUploadBody, UploadCreated, UploadState } from '../shared/api.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import type { ApiClient } from './api.ts';
import { isGone } from './errors.ts';
import { resumeKey, type ResumeRecord, type ResumeStore } from './resume-store.ts';
import type { Requester } from './retry.ts';

export interface TicketFile {
  filename: string;
  size: number;
  kind: MediaKind;
  contentType: string;
  /** Without it the upload cannot be found again after a reload. */
  lastModified?: number;
}

/** The server's upload is this file's, and can still take bytes (or is already complete). */
export function continuable(state: UploadState, saved: ResumeRecord, file: Pick<TicketFile, 'kind' | 'size'>, now = Date.now()): boolean {
  const resumable = state.strategy === 'multipart' || state.resumable_put;
  const sameFile = resumable && state.kind === file.kind && state.size === file.size && state.part_size === saved.partSize;
  const open = state.state === 'pending' && Date.parse(state.expires_at) > now;
  return sameFile && (open || state.state === 'completed');
}

export class Tickets {
  readonly #file: TicketFile;
  readonly #key: string | null;
  readonly #deps: { api: ApiClient; resumeStore: ResumeStore; request: Requester };

  constructor(file: TicketFile, deps: { api: ApiClient; resumeStore: ResumeStore; request: Requester }) {
    this.#file = file;
    this.#deps = deps;
    const { lastModified } = file;
    this.#key = lastModified === undefined ? null : resumeKey({ ...file, lastModified });
  }

  /** The upload this file began before a reload, when the server still has it for this file; else the record is forgotten. */
  async find(signal: AbortSignal): Promise<UploadState | null> {
    const { api, resumeStore, request } = this.#deps;
    const saved = this.#key ? await resumeStore.get(this.#key) : undefined;
    if (!saved) return null;
    const state = await request(() => api.getUpload(saved.uploadId, { signal }).catch(unlessGone(null)), signal);
    if (state && continuable(state, saved, this.#file)) return state;
    await this.forget();
    return null;
  }

  /** Opens a new upload (in parts of `part_size` when given, else by the link's hints) and records it when a reload can continue it. */
  async open(plan: Pick<CreateUploadBody, 'part_size' | 'preferred_part_size' | 'single_put_max'>, signal: AbortSignal): Promise<UploadCreated> {
    const { api, resumeStore, request } = this.#deps;
    const { filename, size, kind, contentType, lastModified } = this.#file;
    // Not abortable: once the server made the upload, its id is needed to clean it up.
    const created = await request(() => api.createUpload({ filename, size, content_type: contentType, kind, ...plan }), signal);
    if (this.#key && lastModified !== undefined && (created.strategy === 'multipart' || created.resumable_put)) {
      await resumeStore.set(this.#key, { uploadId: created.id, filename, size, lastModified, kind, partSize: created.part_size });
    }
    return created;
  }

  /** Deletes the upload on the server (the server answers 404 once it is gone, 409 once it is an item's). */
  async abort(uploadId: string, signal: AbortSignal): Promise<void> {
    const { api, request } = this.#deps;
    await request(() => api.abortUpload(uploadId).catch(unlessGone(undefined)), signal);
  }

  /** Forgets the resume record: the upload is done with, or gone. */
  async forget(): Promise<void> {
    if (this.#key) await this.#deps.resumeStore.delete(this.#key);
  }
}

/** Turns the server's "gone" (`isGone`) into `value`, and the file starts afresh. Other errors pass on. */
function unlessGone<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (isGone(error)) return value;
    throw error;
  };
}
