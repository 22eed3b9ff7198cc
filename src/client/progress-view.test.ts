import { describe, expect, it } from 'vitest';
import type { FileState } from './file-state.ts';
import { fileLine, progressView, type ProgressViewInput } from './progress-view.ts';
import type { ProgressSnapshot } from './progress.ts';

const MB = 1024 * 1024;
const overall: ProgressSnapshot = { loaded: 30 * MB, total: 120 * MB, percent: 25, bytesPerSecond: 2.5 * MB, secondsLeft: 36, partsDone: 3, partCount: 12 };
const input = (states: FileState[], extra: Partial<ProgressViewInput> = {}): ProgressViewInput => ({ noun: 'video', overall, states, resumed: null, now: 10_000, saving: false, ...extra });

const uploading: FileState = { status: 'uploading', resumedBytes: 0 };
const completed: FileState = { status: 'completed', result: { id: 'c', key: 'films/c.jpg', size: 1, content_type: 'image/jpeg', state: 'completed' } };

describe('progressView status line', () => {
  it.each<[string, ProgressViewInput, string]>([
    ['nothing added yet', input([]), 'Preparing…'],
    ['creating the upload', input([{ status: 'queued' }]), 'Preparing…'],
    ['sending', input([uploading]), 'Uploading video… 3 / 12 parts'],
    ['sending after the cover completed', input([completed, uploading]), 'Uploading video… 3 / 12 parts'],
    ['just resumed', input([uploading], { resumed: { percent: 45, until: 12_000 } }), 'Resuming: 45% already uploaded'],
    ['resumed a while ago', input([uploading], { resumed: { percent: 45, until: 10_000 } }), 'Uploading video… 3 / 12 parts'],
    ['resumed, then paused', input([{ status: 'paused' }], { resumed: { percent: 45, until: 12_000 } }), 'Paused'],
    ['a part waiting 1.2 s to retry', input([{ status: 'retrying', reason: 'network', attempt: 1, delayMs: 1200 }]), 'Retrying in 2 s…'],
    ['a retry without delay', input([{ status: 'retrying', reason: 'server', attempt: 1, delayMs: 300 }]), 'Retrying…'],
    ['offline', input([{ status: 'offline' }, uploading]), 'Offline: waiting for the connection…'],
    ['paused', input([completed, { status: 'paused' }]), 'Paused'],
    ['completing', input([completed, { status: 'completing' }]), 'Finishing…'],
    ['saving the record', input([completed, completed], { saving: true }), 'Saving the video…'],
    ['all done', input([completed, completed]), 'Upload complete'],
    ['failed', input([{ status: 'failed', message: 'x' }, { status: 'paused' }]), 'Upload failed'],
    ['cancelled', input([{ status: 'cancelled' }]), 'Cancelled'],
  ])('%s → %s', (_, viewInput, status) => {
    expect(progressView(viewInput).status).toBe(status);
  });
});

describe('progressView figures and buttons', () => {
  it('shows the figures while sending', () => {
    expect(progressView(input([uploading]))).toEqual({
      status: 'Uploading video… 3 / 12 parts',
      percent: '25%',
      value: 25,
      speed: '2.5 MB/s',
      timeRemaining: '36 s',
      details: '30.00 / 120.00 MB',
      canPause: true,
      canResume: false,
      canCancel: true,
    });
  });

  it.each<[string, ProgressViewInput, Partial<ReturnType<typeof progressView>>]>([
    ['paused: no speed, resume offered', input([{ status: 'paused' }]), { speed: '0.0 MB/s', timeRemaining: '--', canPause: false, canResume: true, canCancel: true }],
    ['retrying: still pausable', input([{ status: 'retrying', reason: 'network', attempt: 2, delayMs: 2000 }]), { speed: '0.0 MB/s', canPause: true, canResume: false }],
    ['completed: a full bar, nothing to press', input([completed]), { percent: '100%', value: 100, canPause: false, canResume: false, canCancel: false }],
    ['saving: nothing to press', input([completed], { saving: true }), { canPause: false, canResume: false, canCancel: false }],
    ['completed: the average speed and how long it took', input([completed], { finished: { bytesPerSecond: 52.4 * MB, seconds: 75 } }), { speed: '52.4 MB/s', timeRemaining: 'done in 1 min 15 s' }],
  ])('%s', (_, viewInput, expected) => {
    expect(progressView(viewInput)).toMatchObject(expected);
  });
});

describe('fileLine', () => {
  it.each<[FileState, ProgressSnapshot, string]>([
    [uploading, overall, 'film.mp4 — 25% · 3 / 12 parts'],
    [uploading, { ...overall, partsDone: 0, partCount: 1 }, 'film.mp4 — 25% · sending'],
    [{ status: 'paused' }, overall, 'film.mp4 — 25% · paused'],
    [completed, { ...overall, percent: 99 }, 'film.mp4 — 100% · done'],
    [{ status: 'failed', message: 'x' }, overall, 'film.mp4 — 25% · failed'],
  ])('%j → %s', (state, progress, line) => {
    expect(fileLine('film.mp4', state, progress)).toBe(line);
  });
});
