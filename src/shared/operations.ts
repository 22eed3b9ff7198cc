/**
 * Every operation of the JSON API, written down once: its path, who may call it, what it takes
 * and answers, and the refusals it can give. The server registers its routes from this list
 * (src/api/route.ts parses each request with these schemas), the OpenAPI document and the
 * `/api/docs` page are rendered from it, and a test holds the running server to it.
 */
import { z } from 'zod';
import { changeUserBody, checkVerdicts, createUserBody, statusView, userList, userView } from './admin-api.ts';
import {
  completeUploadBody,
  createPhotoBody,
  createUploadBody,
  createVideoBody,
  editMediaBody,
  editVideoBody,
  listMediaQuery,
  page,
  photoItem,
  seedPresigned,
  seedPresignQuery,
  seedSaveBody,
  seedSaved,
  signedParts,
  signPartsBody,
  uploadCompleted,
  uploadCreated,
  uploadState,
  videoItem,
} from './api.ts';
import type { ErrorCode } from './error-codes.ts';

export const TAGS = ['uploads', 'videos', 'photos', 'seed', 'admin', 'meta'] as const;
export type Tag = (typeof TAGS)[number];

/** `none`: anyone; `user`: a session (or, on `/api/v1/*`, an API token); `admin`: the same, of an admin. */
export type Auth = 'none' | 'user' | 'admin';
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A status the operation can answer with instead of its success, and the `code`s it then carries. */
export interface Refusal {
  status: number;
  codes: readonly ErrorCode[];
}

export interface Operation<
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Query extends z.ZodType | undefined = z.ZodType | undefined,
  Params extends z.ZodType | undefined = z.ZodType | undefined,
  Answer extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** `createUpload`: the OpenAPI operationId, and the key of its summary in the `api` catalog (`api:op.createUpload`). */
  id: string;
  method: Method;
  /** As Fastify reads it: `/api/v1/uploads/:id`. */
  path: string;
  tag: Tag;
  auth: Auth;
  body?: Body;
  query?: Query;
  params?: Params;
  /** The success status; 204 answers no body. */
  status: 200 | 201 | 204;
  answer?: Answer;
  /** Whether it talks to the store (whose failures then show as `storage_*`). */
  store?: boolean;
  /** The refusals of its own; those of its auth, its input and the server are added by `refusalsOf`. */
  refusals: readonly Refusal[];
  /** A request the server takes (it may still refuse it for its state: an id that is not there). */
  example?: { body?: Body extends z.ZodType ? z.input<Body> : never; query?: Query extends z.ZodType ? z.input<Query> : never; params?: Params extends z.ZodType ? z.input<Params> : never };
}

const define = <Body extends z.ZodType | undefined = undefined, Query extends z.ZodType | undefined = undefined, Params extends z.ZodType | undefined = undefined, Answer extends z.ZodType | undefined = undefined>(
  operation: Operation<Body, Query, Params, Answer>,
) => operation;

// ---- Shared parts ---------------------------------------------------------------------------

const uploadId = z.object({ id: z.string().meta({ description: 'The upload’s id (a UUID); any other value is a 404.', example: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' }) });
const itemId = z.object({ id: z.string().meta({ description: 'The item’s id (a whole number); any other value is a 404.', example: '1' }) });
const userId = z.object({ id: z.string().meta({ description: 'The user’s id (a whole number); any other value is a 404.', example: '1' }) });
const openApiDocument = z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document.' });

const noUpload: Refusal = { status: 404, codes: ['not_found'] };
const uploadGone: Refusal = { status: 409, codes: ['upload_completed', 'upload_aborted', 'upload_expired'] };
const noItem: Refusal = { status: 404, codes: ['not_found'] };
/** Creating a record from uploads: each named upload must be the caller's, complete, of its kind and unused. */
const fromUploads: Refusal[] = [
  { status: 400, codes: ['wrong_kind'] },
  { status: 404, codes: ['not_found'] },
  { status: 409, codes: ['upload_not_completed', 'upload_in_use', 'upload_aborted', 'upload_expired', 'object_replaced'] },
];
const notOwner: Refusal = { status: 403, codes: ['forbidden'] };
const userRefusals: Refusal[] = [
  { status: 400, codes: ['invalid_email', 'weak_password', 'invalid_password'] },
  { status: 409, codes: ['email_taken'] },
];

// ---- The operations -------------------------------------------------------------------------

export const OPERATIONS = {
  createUpload: define({
    id: 'createUpload',
    method: 'POST',
    path: '/api/v1/uploads',
    tag: 'uploads',
    auth: 'user',
    body: createUploadBody,
    status: 201,
    answer: uploadCreated,
    store: true,
    refusals: [
      { status: 400, codes: ['empty_file', 'invalid_part_size', 'invalid_filename'] },
      { status: 413, codes: ['too_large'] },
      { status: 415, codes: ['unsupported_type'] },
    ],
    example: { body: { filename: 'interview.mp4', size: 1_048_576, content_type: 'video/mp4', kind: 'video' } },
  }),
  signParts: define({
    id: 'signParts',
    method: 'POST',
    path: '/api/v1/uploads/:id/parts',
    tag: 'uploads',
    auth: 'user',
    params: uploadId,
    body: signPartsBody,
    status: 200,
    answer: signedParts,
    store: true,
    refusals: [{ status: 400, codes: ['invalid_part_number'] }, noUpload, uploadGone],
    example: { params: { id: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' }, body: { part_numbers: [1, 2] } },
  }),
  getUpload: define({
    id: 'getUpload',
    method: 'GET',
    path: '/api/v1/uploads/:id',
    tag: 'uploads',
    auth: 'user',
    params: uploadId,
    status: 200,
    answer: uploadState,
    store: true,
    refusals: [noUpload],
    example: { params: { id: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' } },
  }),
  completeUpload: define({
    id: 'completeUpload',
    method: 'POST',
    path: '/api/v1/uploads/:id/complete',
    tag: 'uploads',
    auth: 'user',
    params: uploadId,
    body: completeUploadBody,
    status: 200,
    answer: uploadCompleted,
    store: true,
    refusals: [
      { status: 400, codes: ['missing_parts', 'object_rejected', 'storage_invalid_part', 'storage_entity_too_small'] },
      { status: 404, codes: ['not_found', 'storage_no_such_upload'] },
      { status: 409, codes: ['upload_completed', 'upload_aborted', 'upload_expired', 'object_missing', 'object_replaced'] },
      { status: 413, codes: ['object_rejected'] },
      { status: 415, codes: ['content_mismatch'] },
    ],
    example: { params: { id: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' }, body: { parts: [{ part_number: 1, etag: '"9b2cf535f27731c974343645a3985328"' }] } },
  }),
  abortUpload: define({
    id: 'abortUpload',
    method: 'DELETE',
    path: '/api/v1/uploads/:id',
    tag: 'uploads',
    auth: 'user',
    params: uploadId,
    status: 204,
    store: true,
    refusals: [noUpload, { status: 409, codes: ['upload_in_use'] }],
    example: { params: { id: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' } },
  }),

  listVideos: define({
    id: 'listVideos',
    method: 'GET',
    path: '/api/v1/videos',
    tag: 'videos',
    auth: 'user',
    query: listMediaQuery,
    status: 200,
    answer: page(videoItem),
    refusals: [{ status: 400, codes: ['invalid_cursor'] }],
    example: { query: { limit: 10 } },
  }),
  createVideo: define({
    id: 'createVideo',
    method: 'POST',
    path: '/api/v1/videos',
    tag: 'videos',
    auth: 'user',
    body: createVideoBody,
    status: 201,
    answer: videoItem,
    store: true,
    refusals: fromUploads,
    example: { body: { title: 'Interview with the mayor', description: 'Recorded at the town hall.', upload_id: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' } },
  }),
  getVideo: define({ id: 'getVideo', method: 'GET', path: '/api/v1/videos/:id', tag: 'videos', auth: 'user', params: itemId, status: 200, answer: videoItem, refusals: [noItem], example: { params: { id: '1' } } }),
  editVideo: define({
    id: 'editVideo',
    method: 'PATCH',
    path: '/api/v1/videos/:id',
    tag: 'videos',
    auth: 'user',
    params: itemId,
    body: editVideoBody,
    status: 200,
    answer: videoItem,
    refusals: [notOwner, noItem],
    example: { params: { id: '1' }, body: { title: 'Interview with the mayor (full)' } },
  }),
  deleteVideo: define({ id: 'deleteVideo', method: 'DELETE', path: '/api/v1/videos/:id', tag: 'videos', auth: 'user', params: itemId, status: 204, store: true, refusals: [notOwner, noItem], example: { params: { id: '1' } } }),

  listPhotos: define({
    id: 'listPhotos',
    method: 'GET',
    path: '/api/v1/photos',
    tag: 'photos',
    auth: 'user',
    query: listMediaQuery,
    status: 200,
    answer: page(photoItem),
    refusals: [{ status: 400, codes: ['invalid_cursor'] }],
    example: { query: { limit: 10 } },
  }),
  createPhoto: define({
    id: 'createPhoto',
    method: 'POST',
    path: '/api/v1/photos',
    tag: 'photos',
    auth: 'user',
    body: createPhotoBody,
    status: 201,
    answer: photoItem,
    store: true,
    refusals: fromUploads,
    example: { body: { title: 'Press conference', upload_id: '0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c' } },
  }),
  getPhoto: define({ id: 'getPhoto', method: 'GET', path: '/api/v1/photos/:id', tag: 'photos', auth: 'user', params: itemId, status: 200, answer: photoItem, refusals: [noItem], example: { params: { id: '1' } } }),
  editPhoto: define({
    id: 'editPhoto',
    method: 'PATCH',
    path: '/api/v1/photos/:id',
    tag: 'photos',
    auth: 'user',
    params: itemId,
    body: editMediaBody,
    status: 200,
    answer: photoItem,
    refusals: [notOwner, noItem],
    example: { params: { id: '1' }, body: { description: 'At the prefecture, 9 a.m.' } },
  }),
  deletePhoto: define({ id: 'deletePhoto', method: 'DELETE', path: '/api/v1/photos/:id', tag: 'photos', auth: 'user', params: itemId, status: 204, store: true, refusals: [notOwner, noItem], example: { params: { id: '1' } } }),

  seedPresign: define({
    id: 'seedPresign',
    method: 'GET',
    path: '/api/generate-presigned-url/',
    tag: 'seed',
    auth: 'user',
    query: seedPresignQuery,
    status: 200,
    answer: seedPresigned,
    store: true,
    refusals: [{ status: 400, codes: ['invalid_filename'] }, { status: 415, codes: ['unsupported_type'] }],
    example: { query: { filename: 'interview.mp4', type: 'video' } },
  }),
  seedSaveVideo: define({
    id: 'seedSaveVideo',
    method: 'POST',
    path: '/api/save-video-metadata/',
    tag: 'seed',
    auth: 'user',
    body: seedSaveBody,
    status: 200,
    answer: seedSaved('video_id'),
    store: true,
    refusals: [...fromUploads, { status: 400, codes: ['object_rejected'] }, { status: 409, codes: ['object_missing'] }, { status: 413, codes: ['object_rejected'] }, { status: 415, codes: ['content_mismatch'] }],
    example: { body: { title: 'Interview with the mayor', description: null, file_key: 'videos/0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c.mp4', public_url: '' } },
  }),
  seedSavePhoto: define({
    id: 'seedSavePhoto',
    method: 'POST',
    path: '/api/save-photo-metadata/',
    tag: 'seed',
    auth: 'user',
    body: seedSaveBody,
    status: 200,
    answer: seedSaved('photo_id'),
    store: true,
    refusals: [...fromUploads, { status: 400, codes: ['object_rejected'] }, { status: 409, codes: ['object_missing'] }, { status: 413, codes: ['object_rejected'] }, { status: 415, codes: ['content_mismatch'] }],
    example: { body: { title: 'Press conference', file_key: 'photos/0f8e2a4c-9b1d-4c3e-8f7a-6d5b4c3a2b1c.jpg' } },
  }),

  listUsers: define({ id: 'listUsers', method: 'GET', path: '/api/v1/users', tag: 'admin', auth: 'admin', status: 200, answer: userList, refusals: [] }),
  createUser: define({
    id: 'createUser',
    method: 'POST',
    path: '/api/v1/users',
    tag: 'admin',
    auth: 'admin',
    body: createUserBody,
    status: 201,
    answer: userView,
    refusals: userRefusals,
    example: { body: { email: 'desk@example.com', password: 'a long enough passphrase', role: 'editor' } },
  }),
  changeUser: define({
    id: 'changeUser',
    method: 'PATCH',
    path: '/api/v1/users/:id',
    tag: 'admin',
    auth: 'admin',
    params: userId,
    body: changeUserBody,
    status: 200,
    answer: userView,
    refusals: [...userRefusals, { status: 404, codes: ['not_found', 'user_not_found'] }, { status: 409, codes: ['last_admin'] }],
    example: { params: { id: '1' }, body: { role: 'admin' } },
  }),
  readStatus: define({ id: 'readStatus', method: 'GET', path: '/api/v1/status', tag: 'admin', auth: 'admin', status: 200, answer: statusView, refusals: [] }),
  runStatusChecks: define({ id: 'runStatusChecks', method: 'POST', path: '/api/v1/status/checks', tag: 'admin', auth: 'admin', status: 200, answer: checkVerdicts, refusals: [] }),

  openApi: define({ id: 'openApi', method: 'GET', path: '/api/v1/openapi.json', tag: 'meta', auth: 'none', status: 200, answer: openApiDocument, refusals: [] }),
};

export type OperationId = keyof typeof OPERATIONS;
export type AnyOperation = Operation;
export const OPERATION_LIST: readonly AnyOperation[] = Object.values(OPERATIONS);

/** The API token scope an operation needs: tokens authenticate `/api/v1/*` only, `read` for GETs, `write` for the rest. */
export function tokenScope(operation: Pick<Operation, 'auth' | 'method' | 'path'>): 'read' | 'write' | null {
  if (operation.auth === 'none' || !operation.path.startsWith('/api/v1/')) return null;
  return operation.method === 'GET' ? 'read' : 'write';
}

/** Unsafe methods on a session need the CSRF token (`X-CSRFToken`). */
export const needsCsrf = (operation: Pick<Operation, 'auth' | 'method'>) => operation.auth !== 'none' && operation.method !== 'GET';

/**
 * Every refusal an operation can give, by status: its own, and those that come with its auth
 * (401, 403), its input (400, 413, 415), its store and the server (5xx).
 */
export function refusalsOf(operation: Operation): Refusal[] {
  const byStatus = new Map<number, Set<ErrorCode>>();
  const add = (status: number, ...codes: ErrorCode[]) => {
    const set = byStatus.get(status) ?? new Set();
    for (const code of codes) set.add(code);
    byStatus.set(status, set);
  };
  if (operation.body || operation.query || operation.params) add(400, 'invalid_request');
  if (operation.body) {
    add(400, 'invalid_json');
    add(413, 'too_large');
    add(415, 'unsupported_media_type');
  }
  if (operation.auth !== 'none') add(401, 'unauthorized');
  const scope = tokenScope(operation);
  if (scope) add(401, 'invalid_token');
  if (scope === 'write') add(403, 'insufficient_scope');
  if (needsCsrf(operation)) add(403, 'csrf_failed');
  if (operation.auth === 'admin') add(403, 'admin_only');
  for (const refusal of operation.refusals) add(refusal.status, ...refusal.codes);
  if (operation.store) {
    add(502, 'storage_access_denied', 'storage_invalid_credentials', 'storage_signature_mismatch', 'storage_no_such_bucket', 'storage_clock_skew', 'storage_store_error');
    add(503, 'storage_unavailable');
  }
  add(500, 'internal_error');
  add(503, 'database_unavailable', 'shutting_down');
  return [...byStatus].sort(([a], [b]) => a - b).map(([status, codes]) => ({ status, codes: [...codes] }));
}
