/**
 * What the progress area shows, derived from the uploader's state and progress (pure, so
 * the wording is tested without a page): the status line, the figures and which buttons apply,
 * in the page's language. The figures never go back: bytes sent again after a reconnect are
 * not progress lost, and a cancel freezes them where they were.
 */
import type { FileState, UploadStatus } from './file-state.ts';
import { formatPercent, formatSize, formatSpeed, formatTimeRemaining, formatTransferred } from '../shared/format.ts';
import type { Locale } from '../shared/i18n/locales.ts';
import type { Translate } from '../shared/i18n/index.ts';
import type { ProgressSnapshot } from './progress.ts';

export interface ProgressViewInput {
  /** What is being uploaded, for the status line. */
  noun: 'video' | 'photo';
  /** How many items the form sends (several photos at once). */
  items?: number;
  overall: ProgressSnapshot;
  states: readonly FileState[];
  /** Where sending resumed from, when the store already held parts, and until when to say so. */
  resumed: { percent: number; until: number } | null;
  /** The clock `resumed.until` is read against (`performance.now()` in pages). */
  now: number;
  /** The uploads are complete and the media records are being saved. */
  saving: boolean;
  /** The files are being read (duration, size, a cover or thumbnails made) before sending. */
  reading?: boolean;
  /** Once every upload is complete: the average speed of this page's sending and how long it took. */
  finished?: { bytesPerSecond: number; seconds: number } | null;
  /** The most the area has shown so far: the figures never go below it. */
  shown?: Shown | null;
  locale: Locale;
  t: Translate;
}

/** The bar's value and the bytes the area has shown, kept by the page between renders. */
export interface Shown {
  value: number;
  loaded: number;
}

export interface ProgressView {
  status: string;
  percent: string;
  /** The bar's width and aria-valuenow, 0–100. */
  value: number;
  speed: string;
  timeRemaining: string;
  details: string;
  /** What to keep as `shown` for the next render. */
  shown: Shown;
  canPause: boolean;
  canResume: boolean;
  canCancel: boolean;
}

const PAUSABLE = new Set<UploadStatus>(['queued', 'uploading', 'retrying', 'offline']);
const FINISHED = new Set<UploadStatus>(['completed', 'failed', 'cancelled']);

export function progressView(input: ProgressViewInput): ProgressView {
  const { overall, states, saving, locale, t } = input;
  const shown = input.shown ?? { value: 0, loaded: 0 };
  const cancelled = states.some((state) => state.status === 'cancelled');
  const sending = !cancelled && states.some((state) => state.status === 'uploading');
  const allCompleted = states.length > 0 && states.every((state) => state.status === 'completed');
  // After a cancel the uploads left are not the whole: the figures stay where they were.
  const value = cancelled ? shown.value : Math.max(shown.value, allCompleted ? 100 : overall.percent);
  const loaded = cancelled ? shown.loaded : Math.min(overall.total, Math.max(shown.loaded, overall.loaded));
  const done = allCompleted && input.finished;
  return {
    status: statusLine(input, cancelled),
    percent: formatPercent(value),
    value,
    speed: formatSpeed(done ? input.finished!.bytesPerSecond : sending ? overall.bytesPerSecond : null, locale),
    timeRemaining: done ? t('upload:time.doneIn', { time: formatTimeRemaining(input.finished!.seconds) }) : timeLeft(sending ? overall.secondsLeft : null, t),
    details: formatTransferred(loaded, cancelled ? Math.max(loaded, overall.total) : overall.total, locale),
    shown: { value, loaded },
    canPause: !saving && !cancelled && states.some((state) => PAUSABLE.has(state.status)),
    canResume: !saving && !cancelled && states.some((state) => state.status === 'paused'),
    canCancel: !saving && !cancelled && states.some((state) => !FINISHED.has(state.status)),
  };
}

const timeLeft = (seconds: number | null, t: Translate) => (seconds === null ? formatTimeRemaining(null) : t('upload:time.left', { time: formatTimeRemaining(seconds) }));

function statusLine({ noun, items = 1, states, resumed, now, saving, reading, t }: ProgressViewInput, cancelled: boolean): string {
  if (cancelled) return t('upload:status.cancelled');
  if (saving) return t(`upload:status.saving.${noun}`, { count: items });
  if (reading && states.every((state) => state.status === 'failed')) return t('upload:status.reading');
  const has = (status: UploadStatus) => states.some((state) => state.status === status);
  if (has('failed') && states.every((state) => FINISHED.has(state.status))) return t('upload:status.failed');
  if (has('offline')) return t('upload:status.offline');
  const retry = states.find((state) => state.status === 'retrying');
  if (retry) return retry.delayMs >= 1000 ? t('upload:status.retryingIn', { count: Math.ceil(retry.delayMs / 1000) }) : t('upload:status.retrying');
  const unfinished = states.filter((state) => !FINISHED.has(state.status));
  if (unfinished.length > 0 && unfinished.every((state) => state.status === 'paused')) return t('upload:status.paused');
  if (has('uploading')) {
    if (resumed && now < resumed.until) return t('upload:status.resuming', { percent: resumed.percent });
    return t(`upload:status.sending.${noun}`, { count: items });
  }
  if (has('completing')) return t('upload:status.finishing');
  if (has('queued') || states.length === 0) return t('upload:status.preparing');
  if (has('failed')) return t('upload:status.failed');
  return t('upload:status.complete');
}

const FILE_STATUS: Partial<Record<UploadStatus, string>> = {
  queued: 'upload:file.waiting',
  retrying: 'upload:file.retrying',
  offline: 'upload:file.offline',
  paused: 'upload:file.paused',
  completing: 'upload:file.finishing',
  completed: 'upload:file.done',
  cancelled: 'upload:file.cancelled',
};

/**
 * One file's line under the overall bar: `cover.png — 100% · done`, `film.mp4 — 42% · 12.00 MB of
 * 40.00 MB`; `note` (saved, or why it failed) replaces the state's word once the file has one.
 */
export function fileLine(filename: string, state: FileState, progress: ProgressSnapshot, { locale, t, note }: { locale: Locale; t: Translate; note?: string }): string {
  const percent = formatPercent(state.status === 'completed' ? 100 : progress.percent);
  const key = FILE_STATUS[state.status];
  const detail =
    note ??
    (state.status === 'failed'
      ? t('upload:file.failed', { reason: state.message })
      : key
        ? t(key)
        : t('upload:file.sending', { sent: formatSize(progress.loaded, locale), total: formatSize(progress.total, locale) }));
  return t('upload:file.line', { name: filename, percent, detail });
}
