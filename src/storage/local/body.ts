import { rm } from 'node:fs/promises';

/** Where a PUT's body is written while it is received, and what to do once it is checked. */
export interface BodyTarget {
  file: string;
  /** Offset of the body in `file`. */
  start: number;
  /** 'wx' for a new file of its own, 'r+' to write in place (the upload's data file, a held PUT body). */
  flags: 'wx' | 'r+';
  /** Most bytes the body may have here. */
  limit: number;
  /**
   * Aborted when the body must stop: its upload was completed or aborted, a newer PUT of the
   * same object came, or the object was deleted.
   */
  signal: AbortSignal;
  /** Keeps what arrived when the body stops early (the client went away, or `signal`), for a `Content-Range` continuation. */
  resumable: boolean;
  /** Records the part or the object, once received whole and checked. */
  commit(etag: string, size: number): Promise<void>;
  /** Called once the body's file is closed, whatever happened; `keep`: a resumable body stopped early keeps its bytes. */
  release(keep: boolean): Promise<void>;
}

/** A body in a temp file of its own (`file`), which `commit` moves into place; removed if it never is. */
export function ownFile(file: string, commit: (file: string, etag: string, size: number) => Promise<void>): BodyTarget {
  return {
    file,
    start: 0,
    flags: 'wx',
    limit: Infinity,
    signal: new AbortController().signal,
    resumable: false,
    commit: (etag, size) => commit(file, etag, size),
    release: () => rm(file, { force: true }),
  };
}

/** A body being written into a file the store shares (an upload's data file, a held PUT body), which the store can stop. */
export class Writer {
  readonly controller = new AbortController();
  #closed!: () => void;
  /** Settles once the body's file is closed. */
  readonly done = new Promise<void>((resolve) => (this.#closed = resolve));

  /** Called by the body's `release`, once its file is closed. */
  closed(): void {
    this.#closed();
  }

  /** Stops the body and waits until its file is closed. */
  async stop(reason: Error): Promise<void> {
    this.controller.abort(reason);
    await this.done;
  }
}
