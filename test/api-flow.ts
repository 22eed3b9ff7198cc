/**
 * The whole API flow a site's own client makes, with whatever credentials it is given (a
 * session's cookie and CSRF header, or a Bearer token): open an upload, PUT the bytes to the
 * URL the server signed, complete it, and save a record from it.
 */
import { expect } from 'vitest';
import type { PhotoItem, UploadCreated, VideoItem } from '../src/shared/api.ts';
import { mediaBytes } from './media-bytes.ts';

const TYPES = {
  video: { filename: 'clip.mp4', contentType: 'video/mp4' },
  photo: { filename: 'picture.png', contentType: 'image/png' },
  cover: { filename: 'cover.png', contentType: 'image/png' },
} as const;

/** A fetch against `baseUrl` with `headers` on every request and JSON bodies. */
export function apiClient(baseUrl: string, headers: Record<string, string>) {
  return (method: string, path: string, json?: unknown) =>
    fetch(baseUrl + path, {
      method,
      redirect: 'manual',
      headers: { ...headers, ...(json !== undefined && { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
}

export type ApiCall = ReturnType<typeof apiClient>;

/** Uploads `size` bytes of a real-looking file as one PUT and completes it; returns the upload's id. */
export async function uploadFile(call: ApiCall, kind: keyof typeof TYPES, size = 64 * 1024): Promise<string> {
  const { filename, contentType } = TYPES[kind];
  const created = await call('POST', '/api/v1/uploads', { filename, size, content_type: contentType, kind });
  expect(created.status, await created.clone().text()).toBe(201);
  const ticket = (await created.json()) as UploadCreated;
  expect(ticket.strategy).toBe('single');
  const put = await fetch(ticket.url!, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(mediaBytes(contentType, size)) });
  expect(put.status, await put.clone().text()).toBe(200);
  const completed = await call('POST', `/api/v1/uploads/${ticket.id}/complete`, { parts: [] });
  expect(completed.status, await completed.clone().text()).toBe(200);
  return ticket.id;
}

/** Uploads a file and saves it as a video or photo record; returns the item as the API answered it. */
export async function saveItem<K extends 'video' | 'photo'>(call: ApiCall, kind: K, title = `A ${kind}`): Promise<K extends 'video' ? VideoItem : PhotoItem> {
  const uploadId = await uploadFile(call, kind);
  const saved = await call('POST', `/api/v1/${kind}s`, { title, upload_id: uploadId });
  expect(saved.status, await saved.clone().text()).toBe(201);
  return (await saved.json()) as K extends 'video' ? VideoItem : PhotoItem;
}
