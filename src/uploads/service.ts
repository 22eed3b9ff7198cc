import { randomUUID } from 'node:crypto';
import type { MediaKind } from '../shared/media-kind.ts';
import type { AppContext } from '../context.ts';
import type { NewUpload, Upload, User } from '../db/schema.ts';
import { AppError, badRequest, conflict, notFound, tooLarge, unsupportedType } from '../errors.ts';
import { toAppError } from '../http-errors.ts';
import { completeDuration, secondsSince, uploadedBytes, uploadsCompleted, uploadsFailed, uploadsStarted } from '../metrics.ts';
import { formatSize } from '../shared/format.ts';
import type { CompleteUploadBody, CreateUploadBody, SignedPart, SignedPut, SignPartsBody, UploadCompleted, UploadCreated, UploadState } from '../shared/api.ts';
import { partRange } from '../shared/plan.ts';
import { hasExtension, MULTIPART_LIMITS, READ_START_MAX, StorageError, type SignedRequest } from '../storage/driver.ts';
import { contentProblem } from './content-check.ts';
import { recordFailure, recordingFailure } from './failures.ts';
import { cleanFilename, extensionOf, newKey, planFor, planParts, planRequestedParts, TYPE_BY_EXTENSION, typeForFilename } from './rules.ts';

/**
 * A ticket stays open UPLOAD_TTL seconds (or as long as its URL, if longer), so an upload can
 * resume after a reload or a restart, with URLs signed afresh; the sweeper clears it afterwards.
 */
const ticketExpiry = (ctx: AppContext) => new Date(Date.now() + Math.max(ctx.config.uploadTtl, ctx.config.uploadUrlExpires) * 1000);

const KIND_NAME: Record<MediaKind, string> = { video: 'video', photo: 'photo', cover: 'cover image', thumbnail: 'thumbnail' };

/** Refuses a type the configuration does not allow for this kind (415). */
export function checkType(ctx: AppContext, kind: MediaKind, contentType: string): void {
  const allowed = ctx.config.allowedTypes[kind];
  if (!allowed.includes(contentType.toLowerCase())) {
    throw unsupportedType(`Files of type ${contentType} are not accepted as a ${KIND_NAME[kind]}; allowed: ${allowed.join(', ')}.`);
  }
}

/** Refuses a size above the kind's limit (413). */
export function checkSize(ctx: AppContext, kind: MediaKind, size: number): void {
  const max = ctx.config.maxSize[kind];
  if (size > max) throw tooLarge(`The ${KIND_NAME[kind]} is ${formatSize(size)}; the largest allowed is ${formatSize(max)}.`);
}

export const signedPut = (request: SignedRequest) => ({ url: request.url, headers: request.headers, expires_at: request.expiresAt.toISOString() });

/** The store, when the upload is one PUT that it continues after a cut (`resumable_put`); else null. */
const resumingStore = (ctx: AppContext, strategy: Upload['strategy']) => (strategy === 'single' && hasExtension(ctx.storage, 'resumable-put') ? ctx.storage : null);

/** `POST /api/v1/uploads`: checks the file, picks the strategy, and opens the ticket. */
export async function createUpload(ctx: AppContext, user: User, input: CreateUploadBody): Promise<UploadCreated> {
  const filename = cleanFilename(input.filename);
  const contentType = input.content_type.toLowerCase();
  checkType(ctx, input.kind, contentType);
  if (input.size === 0) throw badRequest('The file is empty.', 'empty_file');
  checkSize(ctx, input.kind, input.size);
  if (input.size > MULTIPART_LIMITS.maxObjectSize) throw tooLarge('The file is larger than the largest object a bucket can hold (5 TiB).');

  const plan = input.part_size === undefined ? planParts(input.size, planFor(ctx.storage, input)) : planRequestedParts(input.size, input.part_size);
  if ('problem' in plan) throw badRequest(plan.problem, 'invalid_part_size');
  // The key keeps the extension only when it agrees with the declared type.
  const key = newKey(input.kind, TYPE_BY_EXTENSION[extensionOf(filename)] === contentType ? filename : '');
  const id = randomUUID();
  const multipartId = plan.strategy === 'multipart' ? await ctx.storage.createMultipart(key, { contentType, partSize: plan.partSize }) : null;
  const upload = await openTicket(ctx, {
    id,
    owner_id: user.id,
    kind: input.kind,
    key,
    filename,
    content_type: contentType,
    size: input.size,
    strategy: plan.strategy,
    part_size: plan.partSize,
    part_count: plan.partCount,
    multipart_id: multipartId,
  });

  const created: UploadCreated = {
    id,
    key,
    strategy: plan.strategy,
    part_size: plan.partSize,
    part_count: plan.partCount,
    expires_at: upload.expires_at.toISOString(),
    resumable_put: resumingStore(ctx, plan.strategy) !== null,
  };
  if (plan.strategy === 'single') {
    const put = await ctx.storage.presignPut(key, { contentType, contentLength: input.size, expiresIn: ctx.config.uploadUrlExpires, ifNoneMatch: true });
    created.url = put.url;
    created.headers = put.headers;
  }
  return created;
}

/** Records a ticket: what the server allows one user to put at one key, until it expires. The only insert into `uploads`. */
async function openTicket(ctx: AppContext, ticket: Omit<NewUpload, 'expires_at'>): Promise<Upload> {
  const upload = await ctx.db
    .insertInto('uploads')
    .values({ ...ticket, expires_at: ticketExpiry(ctx) })
    .returningAll()
    .executeTakeFirstOrThrow();
  uploadsStarted.inc({ kind: upload.kind });
  return upload;
}

/**
 * A single-PUT ticket for a file whose size is not given (the seed's presign call sends only
 * its name): the type follows the extension, as the browser's `file.type` will, and the URL
 * is bound to the kind's limit (and one PUT's); the stored object is checked on completion.
 */
export async function createUnsizedUpload(ctx: AppContext, user: User, kind: MediaKind, rawFilename: string): Promise<{ upload: Upload; put: SignedPut }> {
  const filename = cleanFilename(rawFilename);
  const contentType = typeForFilename(filename);
  if (!contentType) throw unsupportedType(`Files with the extension "${extensionOf(filename) || '(none)'}" are not accepted; allowed: ${ctx.config.allowedTypes[kind].join(', ')}.`);
  checkType(ctx, kind, contentType);
  const key = newKey(kind, filename);
  const maxLength = Math.min(ctx.config.maxSize[kind], MULTIPART_LIMITS.maxSinglePut);
  const sign = (ifNoneMatch: boolean) => ctx.storage.presignPut(key, { contentType, maxLength, expiresIn: ctx.config.uploadUrlExpires, ifNoneMatch });
  let put = await sign(true);
  // The seed's script PUTs with its Content-Type alone: a condition that needs a header of its
  // own (S3's If-None-Match) cannot go, so its URL could replace the object, and the object's
  // ETag, recorded at complete, is compared wherever the upload's object is used.
  const replaceable = !seedCanSend(put);
  if (replaceable) put = await sign(false);
  const upload = await openTicket(ctx, { id: randomUUID(), owner_id: user.id, kind, key, filename, content_type: contentType, size: null, strategy: 'single', replaceable });
  return { upload, put: signedPut(put) };
}

/** Whether the seed's script can make this request: it sends no header but Content-Type. */
const seedCanSend = (request: SignedRequest) => Object.keys(request.headers).every((name) => name.toLowerCase() === 'content-type');

/** The caller's own upload, or 404: another user's upload does not exist for them. */
export async function findUpload(ctx: AppContext, user: User, id: string): Promise<Upload> {
  // Only a well-formed uuid reaches the uuid column: anything else would fail the query (a 500), not find nothing.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFound('No such upload.');
  const upload = await ctx.db.selectFrom('uploads').selectAll().where('id', '=', id).where('owner_id', '=', user.id).executeTakeFirst();
  if (!upload) throw notFound('No such upload.');
  return upload;
}

/** Why an aborted upload is gone: it expired (and the sweeper removed it), or it was cancelled. */
export function goneProblem(upload: Upload, subject = 'This upload'): AppError {
  return upload.expires_at < new Date()
    ? conflict(`${subject} has expired and its file was removed; start a new upload.`, 'upload_expired')
    : conflict(`${subject} was cancelled; start a new one.`, 'upload_aborted');
}

function requirePending(upload: Upload): void {
  if (upload.state === 'completed') throw conflict('This upload is already complete.', 'upload_completed');
  if (upload.state === 'aborted') throw goneProblem(upload);
  if (upload.expires_at < new Date()) throw conflict('This upload has expired; start a new one.', 'upload_expired');
}

/** Each part's exact length: uniform parts, the last one the remainder (the engine sends the same bytes). */
export function partLength(upload: Pick<Upload, 'size' | 'part_size' | 'part_count'>, partNumber: number): number {
  const { start, end } = partRange(upload.size!, upload.part_size!, upload.part_count!, partNumber);
  return end - start;
}

/** `POST /api/v1/uploads/:id/parts`: fresh part URLs, each bound to its exact length. */
export async function signParts(ctx: AppContext, user: User, id: string, input: SignPartsBody): Promise<{ parts: SignedPart[] }> {
  const upload = await findUpload(ctx, user, id);
  requirePending(upload);
  const numbers = [...new Set(input.part_numbers)].sort((a, b) => a - b);
  if (upload.strategy === 'single') {
    // A single PUT is part 1 of 1: re-signing it renews a URL that expired while the file waited.
    if (numbers.length !== 1 || numbers[0] !== 1) throw badRequest('This upload is a single PUT: only part 1 (the whole file) can be signed.', 'invalid_part_number');
    const request = await ctx.storage.presignPut(upload.key, {
      contentType: upload.content_type,
      expiresIn: ctx.config.uploadUrlExpires,
      ...(upload.size === null ? { maxLength: Math.min(ctx.config.maxSize[upload.kind], MULTIPART_LIMITS.maxSinglePut) } : { contentLength: upload.size }),
      contentMd5: input.content_md5?.['1'],
      ifNoneMatch: !upload.replaceable,
    });
    return { parts: [{ part_number: 1, ...signedPut(request) }] };
  }
  const outside = numbers.find((n) => n > upload.part_count!);
  if (outside) throw badRequest(`Part ${outside} does not exist: this upload has ${upload.part_count} parts.`, 'invalid_part_number');
  const parts = await Promise.all(
    numbers.map(async (partNumber) => {
      const request = await ctx.storage.presignPart(upload.key, upload.multipart_id!, partNumber, {
        expiresIn: ctx.config.uploadUrlExpires,
        contentLength: partLength(upload, partNumber),
        contentMd5: input.content_md5?.[String(partNumber)],
      });
      return { part_number: partNumber, ...signedPut(request) };
    }),
  );
  return { parts };
}

/** `GET /api/v1/uploads/:id`: the ticket, with the parts the store holds now. */
export async function describeUpload(ctx: AppContext, user: User, id: string): Promise<UploadState> {
  let upload = await findUpload(ctx, user, id);
  let parts: UploadState['parts'] = [];
  if (upload.strategy === 'multipart' && upload.state === 'pending') {
    try {
      parts = (await ctx.storage.listParts(upload.key, upload.multipart_id!)).map((p) => ({ part_number: p.partNumber, size: p.size, etag: p.etag }));
    } catch (error) {
      if (!(error instanceof StorageError && error.code === 'no_such_upload')) throw error;
      upload = await adoptAssembled(ctx, user, upload, error);
    }
  }
  const pending = upload.state === 'pending';
  const resuming = resumingStore(ctx, upload.strategy);
  return {
    id: upload.id,
    key: upload.key,
    kind: upload.kind,
    filename: upload.filename,
    size: upload.size,
    content_type: upload.content_type,
    strategy: upload.strategy,
    part_size: upload.part_size ?? 0,
    part_count: upload.part_count ?? 1,
    state: upload.state,
    expires_at: upload.expires_at.toISOString(),
    created_at: new Date(upload.created_at).toISOString(),
    parts,
    resumable_put: resuming !== null,
    held_bytes: resuming && pending ? await resuming.heldBytes(upload.key) : 0,
  };
}

/**
 * A pending multipart upload the store no longer knows: a complete that a crash (or a lost
 * answer) cut after the store had assembled the object, before the database recorded it. When
 * the object is there with the declared size and type, it is checked and the upload completed
 * now; one that fails the check is deleted and the upload aborted, as at complete. Without such
 * an object the upload is lost, and `gone` (404) says so: the client starts afresh.
 */
async function adoptAssembled(ctx: AppContext, user: User, upload: Upload, gone: StorageError): Promise<Upload> {
  const object = await ctx.storage.head(upload.key);
  if (!object || object.size !== upload.size || object.contentType.toLowerCase() !== upload.content_type) throw gone;
  try {
    await verifyStoredObject(ctx, upload);
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'object_rejected')) throw error;
  }
  return findUpload(ctx, user, upload.id);
}

const completedAnswer = (upload: Upload): UploadCompleted => ({
  id: upload.id,
  key: upload.key,
  size: upload.size!,
  content_type: upload.content_type,
  state: 'completed',
});

/**
 * `POST /api/v1/uploads/:id/complete`: assembles a multipart upload, then checks the stored
 * object against the ticket. Calling it again on a completed upload answers the same, so a
 * complete call cut by the network can be retried.
 */
export async function completeUpload(ctx: AppContext, user: User, id: string, input: CompleteUploadBody): Promise<UploadCompleted> {
  // A complete retried while the first is still assembling (its answer was lost) joins the first.
  const running = completing.get(id);
  if (running) return running;
  const started = performance.now();
  const work = completeRecorded(ctx, user, id, input)
    .then(
      (completed) => {
        completeDuration.observe({ outcome: 'completed' }, secondsSince(started));
        return completed;
      },
      (error: unknown) => {
        completeDuration.observe({ outcome: 'failed' }, secondsSince(started));
        uploadsFailed.inc({ code: toAppError(error).code });
        throw error;
      },
    )
    .finally(() => completing.delete(id));
  completing.set(id, work);
  return work;
}

/** Completes in progress in this process, by upload id. */
const completing = new Map<string, Promise<UploadCompleted>>();

/** A complete, with its refusal recorded for the status page (an unknown upload is not one). */
async function completeRecorded(ctx: AppContext, user: User, id: string, input: CompleteUploadBody): Promise<UploadCompleted> {
  const upload = await findUpload(ctx, user, id);
  return recordingFailure(ctx, upload, () => completeOnce(ctx, upload, input));
}

async function completeOnce(ctx: AppContext, upload: Upload, input: CompleteUploadBody): Promise<UploadCompleted> {
  if (upload.state === 'completed') return completedAnswer(upload);
  requirePending(upload);
  if (upload.strategy === 'multipart') {
    const given = new Map(input.parts.map((p) => [p.part_number, p.etag]));
    const missing: number[] = [];
    for (let n = 1; n <= upload.part_count!; n++) if (!given.has(n)) missing.push(n);
    if (missing.length > 0 || given.size !== upload.part_count) {
      const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')}…` : missing.join(', ');
      throw badRequest(`The upload has ${upload.part_count} parts; ${missing.length ? `part(s) ${list} are missing` : 'the list holds unknown parts'}.`, 'missing_parts');
    }
    try {
      await ctx.storage.completeMultipart(
        upload.key,
        upload.multipart_id!,
        [...given].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag })),
      );
    } catch (error) {
      // An earlier complete assembled the object but its answer never came back (the store's
      // connection was cut after it had done the work): the store no longer knows the upload,
      // and the object is there. That is a completed upload, checked below like any other.
      const assembledBefore = error instanceof StorageError && error.code === 'no_such_upload' && (await ctx.storage.head(upload.key)) !== null;
      if (!assembledBefore) throw error;
    }
  }
  return verifyStoredObject(ctx, upload);
}

/**
 * Checks the stored object against the ticket and marks the ticket completed. An object
 * of the wrong size or type is deleted: it was not the upload the server allowed.
 */
export async function verifyStoredObject(ctx: AppContext, upload: Upload): Promise<UploadCompleted> {
  const object = await ctx.storage.head(upload.key);
  if (!object) throw conflict('The file has not reached the storage yet: upload it first, then save.', 'object_missing');
  const declared = upload.size;
  let problem: string | null = null;
  if (declared !== null && object.size !== declared) problem = `The stored file is ${object.size} bytes but ${declared} were declared.`;
  else if (object.size > ctx.config.maxSize[upload.kind]) problem = `The stored file is ${formatSize(object.size)}; the largest allowed is ${formatSize(ctx.config.maxSize[upload.kind])}.`;
  else if (object.size === 0) problem = 'The stored file is empty.';
  else if (object.contentType.toLowerCase() !== upload.content_type) problem = `The stored file has type ${object.contentType}, not ${upload.content_type}.`;
  if (problem) {
    await discardUpload(ctx, upload);
    throw new AppError(object.size > ctx.config.maxSize[upload.kind] ? 413 : 400, 'object_rejected', problem + ' It was deleted; upload the file again.');
  }
  // The first bytes must open as the declared type: a renamed file or random bytes is not the media it claims.
  const start = await ctx.storage.readStart(upload.key, READ_START_MAX);
  const mismatch = start && (await contentProblem(start, upload.content_type));
  if (mismatch) {
    await discardUpload(ctx, upload);
    throw new AppError(415, 'content_mismatch', `${mismatch} It was deleted; upload a real ${upload.content_type} file.`);
  }
  // Never revives a ticket aborted meanwhile (cancelled, or swept): what it stored goes too.
  const completed = await ctx.db
    .updateTable('uploads')
    .set({ state: 'completed', completed_at: new Date(), size: object.size, etag: object.etag })
    .where('id', '=', upload.id)
    .where('state', '!=', 'aborted')
    .returningAll()
    .executeTakeFirst();
  if (!completed) {
    await ctx.storage.delete(upload.key);
    throw goneProblem(upload);
  }
  uploadsCompleted.inc({ kind: completed.kind });
  uploadedBytes.inc({ kind: completed.kind }, object.size);
  return completedAnswer(completed);
}

/** `DELETE /api/v1/uploads/:id`: aborts, and nothing of it stays in the store. */
export async function abortUpload(ctx: AppContext, user: User, id: string): Promise<void> {
  const upload = await findUpload(ctx, user, id);
  if (upload.used_by) throw conflict('This upload belongs to a saved item: delete the item instead.', 'upload_in_use');
  await discardUpload(ctx, upload);
  if (upload.state !== 'aborted') await recordFailure(ctx, upload, 'upload_aborted', 'Cancelled by the person uploading it.');
}

/** Removes whatever an unused upload left in the store and marks it aborted. Idempotent. */
export async function discardUpload(ctx: AppContext, upload: Upload): Promise<void> {
  if (upload.multipart_id && upload.state === 'pending') await ctx.storage.abortMultipart(upload.key, upload.multipart_id);
  await ctx.storage.delete(upload.key);
  await ctx.db.updateTable('uploads').set({ state: 'aborted', void_until: voidUntil(ctx) }).where('id', '=', upload.id).execute();
}

/**
 * Until when a URL of an upload cancelled or deleted now could still create its key: every URL
 * is signed for `UPLOAD_URL_EXPIRES`, so the last one ever signed expires by then. The local
 * store refuses such PUTs itself; on S3 the sweeper deletes the key again once this has passed.
 */
export const voidUntil = (ctx: AppContext, now = new Date()) => new Date(now.getTime() + ctx.config.uploadUrlExpires * 1000);

/**
 * Refuses an upload whose object is no longer the one it stored (409 `object_replaced`): only a
 * `replaceable` upload's URL (the seed's on S3) could have changed it, so only those are asked.
 */
export async function checkUnchanged(ctx: AppContext, upload: Upload): Promise<void> {
  if (!upload.replaceable || upload.state !== 'completed') return;
  const object = await ctx.storage.head(upload.key);
  if (object && object.etag === upload.etag) return;
  const what = object ? 'was replaced after its upload was complete' : 'is no longer in the storage';
  // An unused upload is withdrawn whole; a saved item's file stays for its owner to see, and is not served.
  if (!upload.used_by) await discardUpload(ctx, upload);
  const message = `The file ${what}, so it is not the one that was checked. ${upload.used_by ? 'Upload the file again in a new item.' : 'It was withdrawn; upload the file again.'}`;
  await recordFailure(ctx, upload, 'object_replaced', message);
  throw conflict(message, 'object_replaced');
}
