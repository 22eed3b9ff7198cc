/**
 * What the progress area shows, derived from the uploader's state and progress (pure, so
 * the wording is tested without a page): the status line, the figures and which buttons apply.
 */
import type { FileState, UploadStatus } from './file-state.ts';
import { formatPercent, formatSpeed, formatTimeRemaining, formatTransferred } from '../shared/format.ts';
import type { ProgressSnapshot } from './progress.ts';

export interface ProgressViewInput {
  /** What is being uploaded, for the status line: "video", "photo". */
  noun: string;
  overall: ProgressSnapshot;
  states: readonly FileState[];
  /** Where sending resumed from, when the store already held parts, and until when to say so. */
  resumed: { percent: number; until: number } | null;
  /** The clock `resumed.until` is read against (`performance.now()` in pages). */
  now: number;
  /** The uploads are complete and the media record is being saved. */
  saving: boolean;
  /** Once every upload is complete: the average speed of this page's sending and how long it took. */
  finished?: { bytesPerSecond: number; seconds: number } | null;
}

export interface ProgressView {
  status: string;
  percent: string;
  /** The bar's width and aria-valuenow, 0–100. */
  value: number;
  speed: string;
  timeRemaining: string;
  details: string;
  canPause: boolean;
  canResume: boolean;
  canCancel: boolean;
}

const PAUSABLE = new Set<UploadStatus>(['queued', 'uploading', 'retrying', 'offline']);
const FINISHED = new Set<UploadStatus>(['completed', 'failed', 'cancelled']);

export function progressView(input: ProgressViewInput): ProgressView {
  const { overall, states, saving } = input;
  const sending = states.some((state) => state.status === 'uploading');
  const allCompleted = states.length > 0 && states.every((state) => state.status === 'completed');
  const value = allCompleted ? 100 : overall.percent;
  return {
    status: statusLine(input),
    percent: formatPercent(value),
    value,
    speed: formatSpeed(allCompleted && input.finished ? input.finished.bytesPerSecond : sending ? overall.bytesPerSecond : null),
    timeRemaining: allCompleted && input.finished ? `done in ${formatTimeRemaining(input.finished.seconds)}` : formatTimeRemaining(sending ? overall.secondsLeft : null),
    details: formatTransferred(overall.loaded, overall.total),
    canPause: !saving && states.some((state) => PAUSABLE.has(state.status)),
    canResume: !saving && states.some((state) => state.status === 'paused'),
    canCancel: !saving && states.some((state) => !FINISHED.has(state.status)),
  };
}

function statusLine({ noun, overall, states, resumed, now, saving }: ProgressViewInput): string {
  if (saving) return `Saving the ${noun}…`;
  const has = (status: UploadStatus) => states.some((state) => state.status === status);
  if (has('failed')) return 'Upload failed';
  if (has('offline')) return 'Offline: waiting for the connection…';
  const retry = states.find((state) => state.status === 'retrying');
  if (retry) return retry.delayMs >= 1000 ? `Retrying in ${Math.ceil(retry.delayMs / 1000)} s…` : 'Retrying…';
  const unfinished = states.filter((state) => !FINISHED.has(state.status));
  if (unfinished.length > 0 && unfinished.every((state) => state.status === 'paused')) return 'Paused';
  if (has('uploading')) {
    if (resumed && now < resumed.until) return `Resuming: ${resumed.percent}% already uploaded`;
    return `Uploading ${noun}… ${overall.partsDone} / ${overall.partCount} parts`;
  }
  if (has('completing')) return 'Finishing…';
  if (has('queued') || states.length === 0) return 'Preparing…';
  if (states.every((state) => state.status === 'cancelled')) return 'Cancelled';
  return 'Upload complete';
}

const FILE_STATUS: Partial<Record<UploadStatus, string>> = {
  queued: 'waiting',
  retrying: 'retrying',
  offline: 'offline',
  paused: 'paused',
  completing: 'finishing',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** One file's line under the overall bar: `cover.png — 100% · done`, `film.mp4 — 42% · 3 / 8 parts`. */
export function fileLine(filename: string, state: FileState, progress: ProgressSnapshot): string {
  const percent = formatPercent(state.status === 'completed' ? 100 : progress.percent);
  const detail = FILE_STATUS[state.status] ?? (progress.partCount > 1 ? `${progress.partsDone} / ${progress.partCount} parts` : 'sending');
  return `${filename} — ${percent} · ${detail}`;
}
