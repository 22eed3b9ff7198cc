import { describe, expect, it, vi } from 'vitest';
import type { UploadCreated, UploadState } from '../shared/api.ts';
import type { ApiClient } from './api.ts';
import { alwaysOnline } from './connectivity.ts';
import { ApiError } from './errors.ts';
import { MemoryResumeStore, resumeKey, type ResumeRecord } from './resume-store.ts';
import { retrying, type Requester } from './retry.ts';
import { continuable, Tickets, type TicketFile } from './ticket.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const file: TicketFile = { filename: 'a.mp4', size: 100, kind: 'video', contentType: 'video/mp4', lastModified: 1 };
const saved: ResumeRecord = { uploadId: 'u1', filename: 'a.mp4', size: 100, lastModified: 1, kind: 'video', partSize: 10 };
const state = (extra: Partial<UploadState> = {}): UploadState => ({
  id: 'u1',
  key: 'videos/a.mp4',
  kind: 'video',
  filename: 'a.mp4',
  size: 100,
  content_type: 'video/mp4',
  strategy: 'multipart',
  part_size: 10,
  part_count: 10,
  state: 'pending',
  expires_at: new Date(NOW + 60_000).toISOString(),
  created_at: new Date(NOW - 60_000).toISOString(),
  parts: [],
  resumable_put: false,
  held_bytes: 0,
  ...extra,
});

describe('continuable', () => {
  it.each<[string, Partial<UploadState>, boolean]>([
    ['an open multipart upload of this file', {}, true],
    ['a completed one', { state: 'completed', expires_at: new Date(NOW - 1).toISOString() }, true],
    ['the local store’s continued PUT', { strategy: 'single', part_count: 1, resumable_put: true }, true],
    ['a plain single PUT', { strategy: 'single', part_count: 1 }, false],
    ['an expired one', { expires_at: new Date(NOW - 1).toISOString() }, false],
    ['an aborted one', { state: 'aborted' }, false],
    ['another kind', { kind: 'photo' }, false],
    ['another size', { size: 99 }, false],
    ['another part size', { part_size: 20, part_count: 5 }, false],
  ])('%s: %s', (_, extra, expected) => {
    expect(continuable(state(extra), saved, file, NOW)).toBe(expected);
  });
});

describe('Tickets', () => {
  const request: Requester = (call, signal) => retrying(call, { policy: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 }, signal, connectivity: alwaysOnline });
  const signal = new AbortController().signal;
  const key = resumeKey({ ...file, lastModified: 1 });
  function setup(api: Partial<ApiClient>, ticketFile = file) {
    const resumeStore = new MemoryResumeStore();
    return { resumeStore, tickets: new Tickets(ticketFile, { api: api as ApiClient, resumeStore, request }) };
  }
  const created = (extra: Partial<UploadCreated>) => ({ id: 'u2', strategy: 'multipart', part_size: 10, part_count: 10, resumable_put: false, ...extra }) as UploadCreated;

  it('records a new upload that a reload can continue, and only that', async () => {
    for (const [ticket, recorded] of [
      [created({}), true],
      [created({ strategy: 'single', part_count: 1, resumable_put: true }), true],
      [created({ strategy: 'single', part_count: 1 }), false],
    ] as const) {
      const createUpload = vi.fn(async () => ticket);
      const { tickets, resumeStore } = setup({ createUpload });
      expect(await tickets.open({ part_size: 10 }, signal)).toBe(ticket);
      expect(createUpload).toHaveBeenCalledWith({ filename: 'a.mp4', size: 100, content_type: 'video/mp4', kind: 'video', part_size: 10 });
      expect(await resumeStore.get(key)).toEqual(recorded ? { ...saved, uploadId: 'u2' } : undefined);
    }
    const { tickets, resumeStore } = setup({ createUpload: async () => created({}) }, { ...file, lastModified: undefined });
    await tickets.open({}, signal);
    expect(await resumeStore.get(key)).toBeUndefined();
  });

  it('finds the upload of the record while it can go on, and forgets the record otherwise', async () => {
    const open = state({ expires_at: new Date(Date.now() + 60_000).toISOString() });
    const found = setup({ getUpload: async () => open });
    await found.resumeStore.set(key, saved);
    expect(await found.tickets.find(signal)).toBe(open);
    expect(await found.resumeStore.get(key)).toEqual(saved);

    for (const getUpload of [
      async () => state({ state: 'aborted' }),
      () => Promise.reject(new ApiError(404, 'not_found', 'gone')),
      () => Promise.reject(new ApiError(409, 'upload_expired', 'This upload has expired; start a new one.')),
    ]) {
      const { tickets, resumeStore } = setup({ getUpload });
      await resumeStore.set(key, saved);
      expect(await tickets.find(signal)).toBeNull();
      expect(await resumeStore.get(key)).toBeUndefined();
    }

    const getUpload = vi.fn();
    expect(await setup({ getUpload }).tickets.find(signal)).toBeNull();
    expect(getUpload).not.toHaveBeenCalled();
  });

  it('aborts an upload, and takes the server’s 404 as done', async () => {
    const abortUpload = vi.fn(() => Promise.reject(new ApiError(404, 'not_found', 'gone')));
    await expect(setup({ abortUpload }).tickets.abort('u1', signal)).resolves.toBeUndefined();
    expect(abortUpload).toHaveBeenCalledWith('u1');
    await expect(setup({ abortUpload: () => Promise.reject(new ApiError(401, 'unauthorized', 'Log in.')) }).tickets.abort('u1', signal)).rejects.toMatchObject({ message: 'Log in.' });
  });
});
