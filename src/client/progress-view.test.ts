import { describe, expect, it } from 'vitest';
import { translator } from '../shared/i18n/index.ts';
import type { FileState } from './file-state.ts';
import { fileLine, progressView, type ProgressViewInput } from './progress-view.ts';
import type { ProgressSnapshot } from './progress.ts';

const MB = 1024 * 1024;
const en = { locale: 'en', t: translator('en') } as const;
const fr = { locale: 'fr', t: translator('fr') } as const;
const overall: ProgressSnapshot = { loaded: 30 * MB, total: 120 * MB, percent: 25, bytesPerSecond: 2.5 * MB, secondsLeft: 36, partsDone: 3, partCount: 12 };
const input = (states: FileState[], extra: Partial<ProgressViewInput> = {}): ProgressViewInput => ({ noun: 'video', overall, states, resumed: null, now: 10_000, saving: false, ...en, ...extra });

const uploading: FileState = { status: 'uploading', resumedBytes: 0 };
const completed: FileState = { status: 'completed', result: { id: 'c', key: 'films/c.jpg', size: 1, content_type: 'image/jpeg', state: 'completed' } };

describe('progressView status line', () => {
  it.each<[string, ProgressViewInput, string]>([
    ['nothing added yet', input([]), 'Preparing…'],
    ['reading the files', input([], { reading: true }), 'Reading the files…'],
    ['creating the upload', input([{ status: 'queued' }]), 'Preparing…'],
    ['sending', input([uploading]), 'Sending the video…'],
    ['sending after the cover completed', input([completed, uploading]), 'Sending the video…'],
    ['sending five photos', input([uploading, completed], { noun: 'photo', items: 5 }), 'Sending 5 photos…'],
    ['just resumed', input([uploading], { resumed: { percent: 45, until: 12_000 } }), 'Resuming: 45% already uploaded'],
    ['resumed a while ago', input([uploading], { resumed: { percent: 45, until: 10_000 } }), 'Sending the video…'],
    ['resumed, then paused', input([{ status: 'paused' }], { resumed: { percent: 45, until: 12_000 } }), 'Paused'],
    ['a part waiting 1.2 s to retry', input([{ status: 'retrying', reason: 'network', attempt: 1, delayMs: 1200 }]), 'Retrying in 2 s…'],
    ['a retry without delay', input([{ status: 'retrying', reason: 'server', attempt: 1, delayMs: 300 }]), 'Retrying…'],
    ['offline', input([{ status: 'offline' }, uploading]), 'Offline: waiting for the connection…'],
    ['paused', input([completed, { status: 'paused' }]), 'Paused'],
    ['completing', input([completed, { status: 'completing' }]), 'Finishing…'],
    ['saving the record', input([completed, completed], { saving: true }), 'Saving the video…'],
    ['all done', input([completed, completed]), 'Upload complete'],
    ['one photo failed, the others still going', input([{ status: 'failed', message: 'x' }, uploading], { noun: 'photo', items: 2 }), 'Sending 2 photos…'],
    ['failed', input([{ status: 'failed', message: 'x' }, { status: 'cancelled' }]), 'Upload cancelled'],
    ['failed, the rest done', input([{ status: 'failed', message: 'x' }, completed]), 'Upload failed'],
    ['cancelled', input([{ status: 'cancelled' }]), 'Upload cancelled'],
    ['cancelled after the cover completed', input([completed, { status: 'cancelled' }]), 'Upload cancelled'],
  ])('%s → %s', (_, viewInput, status) => {
    expect(progressView(viewInput).status).toBe(status);
  });

  it.each<[ProgressViewInput, string]>([
    [input([uploading], fr), 'Envoi de la vidéo…'],
    [input([uploading], { ...fr, noun: 'photo', items: 3 }), 'Envoi de 3 photos…'],
    [input([uploading], { ...fr, resumed: { percent: 45, until: 12_000 } }), 'Reprise\u00a0: 45 % déjà envoyés'],
    [input([completed, { status: 'cancelled' }], fr), 'Envoi annulé'],
  ])('in French: %#', (viewInput, status) => {
    expect(progressView(viewInput).status).toBe(status);
  });
});

describe('progressView figures and buttons', () => {
  it('shows the figures while sending, with no parts in sight', () => {
    expect(progressView(input([uploading]))).toEqual({
      status: 'Sending the video…',
      percent: '25%',
      value: 25,
      speed: '2.5 MB/s',
      timeRemaining: '36 s left',
      details: '30.00 / 120.00 MB',
      shown: { value: 25, loaded: 30 * MB },
      canPause: true,
      canResume: false,
      canCancel: true,
    });
  });

  it('says them in French with French units and decimals', () => {
    const view = progressView(input([uploading], { ...fr, overall: { ...overall, loaded: 88.8 * MB, total: 286.1 * MB, bytesPerSecond: 12.5 * MB, secondsLeft: 125 } }));
    expect(view).toMatchObject({ speed: '12,5 Mo/s', details: '88,80 / 286,10 Mo', timeRemaining: 'encore 2 min 05 s' });
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

  it('never goes back: a part lost to a reconnect is sent again, not progress lost', () => {
    const before = progressView(input([uploading], { overall: { ...overall, loaded: 60 * MB, percent: 50 } }));
    const after = progressView(input([uploading], { overall: { ...overall, loaded: 52 * MB, percent: 43 }, shown: before.shown }));
    expect([after.percent, after.value, after.details]).toEqual(['50%', 50, '60.00 / 120.00 MB']);
  });

  it('after a cancel, stays where it was: not "Upload complete · 100%" for the cover that had completed', () => {
    const before = progressView(input([completed, uploading], { overall: { ...overall, loaded: 40 * MB, percent: 33 } }));
    // The cancelled video no longer counts: what is left (the cover) is all complete.
    const after = progressView(input([completed, { status: 'cancelled' }], { overall: { ...overall, loaded: MB, total: MB, percent: 100 }, shown: before.shown }));
    expect(after).toMatchObject({ status: 'Upload cancelled', percent: '33%', value: 33, speed: '0.0 MB/s', timeRemaining: '--', canPause: false, canResume: false, canCancel: false });
  });
});

describe('fileLine', () => {
  it.each<[FileState, ProgressSnapshot, string]>([
    [uploading, overall, 'film.mp4 — 25% · 30.00 MB of 120.00 MB'],
    [{ status: 'queued' }, overall, 'film.mp4 — 25% · waiting'],
    [{ status: 'paused' }, overall, 'film.mp4 — 25% · paused'],
    [completed, { ...overall, percent: 99 }, 'film.mp4 — 100% · done'],
    [{ status: 'failed', message: 'The storage refused the upload.' }, overall, 'film.mp4 — 25% · failed: The storage refused the upload.'],
  ])('%j → %s', (state, progress, line) => {
    expect(fileLine('film.mp4', state, progress, en)).toBe(line);
  });

  it('takes a note once the record is saved or refused, and speaks French', () => {
    expect(fileLine('a.jpg', completed, overall, { ...en, note: 'saved' })).toBe('a.jpg — 100% · saved');
    expect(fileLine('a.jpg', uploading, overall, fr)).toBe('a.jpg — 25% · 30,00 Mo sur 120,00 Mo');
  });
});
