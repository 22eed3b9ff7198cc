/**
 * A file upload's state as the page sees it: the step the upload is at, with the waits of
 * its requests between attempts on top, so a part waiting out a retry shows as `retrying`
 * (or `offline`) without the step being forgotten.
 */
import type { UploadCompleted } from '../shared/api.ts';
import type { RetryReason, RetryWait } from './retry.ts';

export type FileState =
  | { status: 'queued' }
  /** `resumedBytes`: what the store already held when sending (re)started, 0 for a fresh upload. */
  | { status: 'uploading'; resumedBytes: number }
  | { status: 'retrying'; reason: RetryReason; attempt: number; delayMs: number }
  | { status: 'offline' }
  | { status: 'paused' }
  | { status: 'completing' }
  | { status: 'completed'; result: UploadCompleted }
  | { status: 'failed'; message: string }
  | { status: 'cancelled' };

export type UploadStatus = FileState['status'];

/** States whose requests may be waiting on a retry (the state then reads `retrying` or `offline`). */
const WORKING = new Set<UploadStatus>(['queued', 'uploading', 'completing']);

/** States a pause can stop; a completion under way is left to finish. */
export const PAUSABLE = new Set<UploadStatus>(['queued', 'uploading', 'retrying', 'offline']);

/**
 * What the page sees: `step`, or while its requests wait, `offline` when any waits for the
 * network, else the latest retry.
 */
export function visibleState(step: FileState, waits: readonly RetryWait[]): FileState {
  if (waits.length === 0 || !WORKING.has(step.status)) return step;
  const retry = waits.findLast((wait) => wait.reason !== 'offline');
  return retry && !waits.some((wait) => wait.reason === 'offline') ? { status: 'retrying', ...retry } : { status: 'offline' };
}

/** Keeps an upload's step and its requests' waits, and calls `onChange` when the visible state changes. */
export class StateTracker {
  /** Requests waiting before their next attempt, by key (a part number, 0 for API calls). */
  readonly #waits = new Map<number, RetryWait>();
  #step: FileState = { status: 'queued' };
  #state: FileState = this.#step;

  constructor(readonly onChange: () => void) {}

  /** The visible state. */
  get state(): FileState {
    return this.#state;
  }

  /** The step the upload's own work set, whatever its requests are waiting for. */
  get step(): FileState {
    return this.#step;
  }

  enter(step: FileState): void {
    this.#step = step;
    this.#publish();
  }

  /** The request `key` starts waiting (`wait`) or goes again (`null`). */
  wait(key: number, wait: RetryWait | null): void {
    if (wait) this.#waits.set(key, wait);
    else this.#waits.delete(key);
    this.#publish();
  }

  #publish(): void {
    const next = visibleState(this.#step, [...this.#waits.values()]);
    if (JSON.stringify(next) === JSON.stringify(this.#state)) return;
    this.#state = next;
    this.onChange();
  }
}
