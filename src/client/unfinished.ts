/**
 * Uploads a reload or a closed tab left unfinished, as a page finds them when it opens: the
 * engine's resume records of one kind that the server still holds, what the store has of each,
 * and the title and description typed for it, so the page can say so and offer to continue
 * (choose the same file again) or to discard it. No DOM here but Web Storage.
 */
import type { MediaKind } from '../shared/media-kind.ts';
import type { UploadState } from '../shared/api.ts';
import type { ApiClient } from './api.ts';
import { isGone } from './errors.ts';
import type { ResumeRecord, ResumeStore } from './resume-store.ts';

/** What was typed in the form for a file, kept so continuing it does not mean typing it again. */
export interface Draft {
  title: string;
  description: string;
}

export interface Unfinished {
  /** The resume record's key: the same file chosen again gives it (`resumeKey`). */
  key: string;
  record: ResumeRecord;
  /** Bytes the store holds already: what continuing saves. */
  storedBytes: number;
  /** When the server discards the upload if it is not continued. */
  expiresAt: string;
  draft: Draft | null;
}

const DRAFT_PREFIX = 'airlift:draft:';

/** Drafts in Web Storage beside the resume records, under the same keys. A blocked storage keeps none. */
export class Drafts {
  constructor(readonly storage: Storage | null) {}

  save(key: string, draft: Draft): void {
    try {
      this.storage?.setItem(DRAFT_PREFIX + key, JSON.stringify(draft));
    } catch {
      // Full or blocked: the upload itself still resumes; only the typing is not kept.
    }
  }

  get(key: string): Draft | null {
    try {
      const draft = JSON.parse(this.storage?.getItem(DRAFT_PREFIX + key) ?? 'null') as Partial<Draft> | null;
      return draft && typeof draft.title === 'string' && typeof draft.description === 'string' ? { title: draft.title, description: draft.description } : null;
    } catch {
      return null;
    }
  }

  delete(key: string): void {
    this.storage?.removeItem(DRAFT_PREFIX + key);
  }

  /** Forgets the drafts of uploads that have no resume record any more (finished, discarded or gone). */
  prune(records: Set<string>): void {
    if (!this.storage) return;
    const stale: string[] = [];
    for (let index = 0; index < this.storage.length; index++) {
      const key = this.storage.key(index);
      if (key?.startsWith(DRAFT_PREFIX) && !records.has(key.slice(DRAFT_PREFIX.length))) stale.push(key);
    }
    for (const key of stale) this.storage.removeItem(key);
  }
}

export interface UnfinishedDeps {
  api: Pick<ApiClient, 'getUpload' | 'abortUpload'>;
  resumeStore: ResumeStore;
  drafts: Drafts;
}

/**
 * The unfinished uploads of `kinds` the server can still continue, oldest first. Records of
 * uploads the server no longer has, or that cannot go on, are forgotten with their drafts; a
 * record the server could not be asked about (offline) is kept for next time but not offered.
 */
export async function findUnfinished(kinds: readonly MediaKind[], { api, resumeStore, drafts }: UnfinishedDeps): Promise<Unfinished[]> {
  const records = (await Promise.all(kinds.map((kind) => resumeStore.list(kind)))).flat();
  const found = await Promise.all(
    records.map(async ({ key, record }): Promise<Unfinished | null> => {
      let state: UploadState | null;
      try {
        state = await api.getUpload(record.uploadId);
      } catch (error) {
        if (!isGone(error)) return null;
        state = null;
      }
      if (!state || state.state !== 'pending' || state.size !== record.size) {
        await resumeStore.delete(key);
        return null;
      }
      return { key, record, storedBytes: storedBytes(state), expiresAt: state.expires_at, draft: drafts.get(key) };
    }),
  );
  drafts.prune(new Set((await Promise.all(kinds.map((kind) => resumeStore.list(kind)))).flat().map(({ key }) => key)));
  return found.filter((item) => item !== null).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
}

/** Deletes the upload on the server and forgets it here: the user chose not to continue it. */
export async function discardUnfinished(item: Pick<Unfinished, 'key' | 'record'>, { api, resumeStore, drafts }: UnfinishedDeps): Promise<void> {
  try {
    await api.abortUpload(item.record.uploadId);
  } catch (error) {
    if (!isGone(error)) throw error;
  }
  await resumeStore.delete(item.key);
  drafts.delete(item.key);
}

/** The bytes the store holds: the whole parts of a multipart upload, or what a resumable PUT kept. */
export function storedBytes(state: Pick<UploadState, 'parts' | 'resumable_put' | 'held_bytes'>): number {
  return state.resumable_put ? state.held_bytes : state.parts.reduce((sum, part) => sum + part.size, 0);
}
