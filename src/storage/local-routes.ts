import { createReadStream, createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { finished, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, forbidden, tooLarge } from '../errors.ts';
import { StorageError, type StorageErrorCode } from './driver.ts';
import { BodyHasher, etagOf, type Digests, type HashJob } from './body-hasher.ts';
import { IO_CHUNK, keyProblem, type BodyTarget, type Grant, type LocalStore } from './local.ts';

/**
 * The local store's bucket-like endpoints: `PUT /store/<key>` (an object or a part) and
 * `GET`/`HEAD /store/<key>`. The URL's signature alone authorises a request, as with a
 * bucket's presigned URL: no session, no CSRF token. Register without fastify-plugin, so the
 * raw-body parser and the error handler below stay inside this plugin.
 */
export async function localStoreRoutes(app: FastifyInstance, opts: { store: LocalStore }): Promise<void> {
  const { store } = opts;
  const hasher = new BodyHasher();
  app.addHook('onClose', () => hasher.close());
  // The PUT handler streams request.raw to disk itself: no parser may buffer it or apply a body limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.setErrorHandler(renderError);
  app.put('/store/*', (request, reply) => putObject(store, hasher, request, reply));
  app.route({ method: ['GET', 'HEAD'], url: '/store/*', handler: (request, reply) => getObject(store, request, reply) });
}

const MiB = 1024 ** 2;
/** How long, and how much, a refused upload may keep sending so that its client reads our answer. */
const LINGER_MS = 5_000;
const LINGER_BYTES = 16 * MiB;

class BodyTooLarge extends Error {}

interface Received {
  size: number;
  digests: Digests;
}

async function putObject(store: LocalStore, hasher: BodyHasher, request: FastifyRequest, reply: FastifyReply) {
  const { key, query } = target(request);
  const grant = authorise(store, 'PUT', key, query);
  const { uploadId, partNumber } = grant;
  if (uploadId !== undefined) {
    if (partNumber === undefined) throw forbidden('This part URL has no part number.', 'access_denied');
  } else {
    checkContentType(request.headers['content-type'], grant.contentType ?? '');
  }
  // A single PUT signed for an exact length may continue the body an earlier PUT of it left.
  const from = continuedFrom(header(request, 'content-range'), uploadId === undefined ? grant.length : undefined);
  const length = grant.length === undefined ? undefined : grant.length - from;
  let limit = Math.min(length ?? Infinity, grant.maxLength ?? Infinity);
  const declared = request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']);
  if (declared !== undefined) {
    if (declared > limit) throw tooLargeFor(limit);
    if (length !== undefined && declared < length) throw shortBody(declared, length);
  }
  const promisedMd5 = [grant.contentMd5, header(request, 'content-md5')].filter((md5) => md5 !== undefined);
  const into =
    uploadId !== undefined
      ? await store.beginPart(key, uploadId, partNumber!, grant.length ?? declared)
      : await store.beginPut(key, grant.contentType!, { length: grant.length, from });
  limit = Math.min(limit, into.limit);
  let keep = false;
  try {
    const hash = hasher.start({ md5: promisedMd5.length > 0 });
    let received: Received;
    try {
      // The object's hash covers the bytes held before this body too.
      if (from > 0) await hashFile(hash, into.file, from).catch((error: unknown) => {
        hash.cancel();
        throw error;
      });
      received = await receive(request.raw, into, limit, hash);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw tooLargeFor(limit);
      // The upload's folder went while the part was coming (aborted by another process).
      if (into.flags === 'r+' && !into.resumable && (error as NodeJS.ErrnoException).code === 'ENOENT') throw missing('no_such_upload', noUploadMessage(uploadId!));
      throw error;
    }
    if (length !== undefined && received.size !== length) {
      // The client went away, or a newer PUT took over: what arrived stays for a continuation.
      keep = into.resumable;
      throw shortBody(received.size, length);
    }
    const md5 = received.digests.md5?.toString('base64');
    for (const expected of promisedMd5) {
      if (expected !== md5) {
        throw badRequest(`The body's MD5 is ${md5} but the request promised ${expected}: the data was changed on the way. Send it again.`, 'bad_digest');
      }
    }
    const etag = etagOf(received.digests);
    await into.commit(etag, from + received.size);
    return reply.code(200).header('etag', `"${etag}"`).header('access-control-expose-headers', 'ETag').send();
  } finally {
    await into.release(keep);
  }
}

/**
 * The first byte a single PUT's body continues from: 0 without a `Content-Range`; with
 * `bytes <first>-<last>/<size>`, `first`, once the header is checked against the signed length.
 */
export function continuedFrom(value: string | undefined, signedLength: number | undefined): number {
  if (value === undefined) return 0;
  if (signedLength === undefined) {
    throw badRequest('Content-Range continues a single PUT whose URL was signed for an exact length; this URL was not.', 'invalid_range');
  }
  const match = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(value.trim());
  const [first, last, size] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
  if (first === undefined || size !== signedLength || last !== signedLength - 1 || first > last) {
    throw badRequest(`Content-Range must read "bytes <first>-${signedLength - 1}/${signedLength}": the rest of the object this URL was signed for.`, 'invalid_range');
  }
  return first;
}

/** Feeds the first `length` bytes of `file` to `hash`. */
async function hashFile(hash: HashJob, file: string, length: number): Promise<void> {
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1, highWaterMark: IO_CHUNK }) as AsyncIterable<Buffer>) {
    await hash.update(chunk);
  }
}

/**
 * Streams the body into its target, hashing and counting on the way, and fails with
 * `BodyTooLarge` as soon as it passes `limit`. The request is piped rather than put in the
 * pipeline: a pipeline would destroy it on overflow, and with it the socket the 413 must go
 * out on. Returns, or throws, only once the file is closed, so no write lands after.
 */
async function receive(req: IncomingMessage, into: BodyTarget, limit: number, hash: HashJob): Promise<Received> {
  let size = 0;
  const meter = new Transform({
    highWaterMark: IO_CHUNK,
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) return callback(new BodyTooLarge());
      try {
        const full = hash.update(chunk);
        if (full) full.then(() => callback(null, chunk), callback);
        else callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  // A client that goes away must fail the write (and so remove the temp file), not leave it
  // waiting; a resumable body instead ends there, every byte that arrived written.
  const endEarly = (error: Error) => {
    if (!into.resumable) return meter.destroy(error);
    if (meter.writableEnded) return;
    req.unpipe(meter);
    meter.end();
  };
  const stopWatching = finished(req, (error) => {
    if (error) endEarly(error);
  });
  const stop = () => endEarly(into.signal.reason as Error);
  if (into.signal.aborted) stop();
  into.signal.addEventListener('abort', stop);
  const file = createWriteStream(into.file, { flags: into.flags, start: into.start, highWaterMark: IO_CHUNK });
  req.pipe(meter);
  try {
    await pipeline(meter, file);
    return { size, digests: await hash.digest() };
  } finally {
    hash.cancel();
    stopWatching();
    into.signal.removeEventListener('abort', stop);
    req.unpipe(meter);
    if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
  }
}

async function getObject(store: LocalStore, request: FastifyRequest, reply: FastifyReply) {
  const { key, query } = target(request);
  const grant = authorise(store, 'GET', key, query);
  const opened = await store.openObject(key);
  if (!opened) throw missing('no_such_key', 'No object is stored under this key.');
  const { handle, info } = opened;
  let streaming = false;
  try {
    const range = parseRange(header(request, 'range'), info.size);
    if (range === 'unsatisfiable') {
      return reply
        .code(416)
        .header('content-range', `bytes */${info.size}`)
        .send({ error: { code: 'range_not_satisfiable', message: `The requested range is outside the object's ${info.size} bytes.` } });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? info.size - 1;
    reply
      .code(range ? 206 : 200)
      .header('content-type', info.contentType)
      .header('content-length', String(end - start + 1))
      .header('etag', info.etag)
      .header('last-modified', info.lastModified.toUTCString())
      .header('accept-ranges', 'bytes')
      .header('cache-control', `private, max-age=${store.secondsLeft(grant)}`)
      .header('x-content-type-options', 'nosniff')
      .header('access-control-expose-headers', 'ETag, Content-Range, Content-Length, Accept-Ranges');
    if (range) reply.header('content-range', `bytes ${start}-${end}/${info.size}`);
    if (grant.filename) reply.header('content-disposition', attachment(grant.filename));
    if (request.method === 'HEAD' || end < start) return reply.send();
    const stream = handle.createReadStream({ start, end, highWaterMark: IO_CHUNK });
    streaming = true; // the stream closes the handle
    return reply.send(stream);
  } finally {
    if (!streaming) await handle.close();
  }
}

/** The key (decoded from the path after `/store/`) and the query of a store URL. */
function target(request: FastifyRequest): { key: string; query: URLSearchParams } {
  const raw = request.raw.url ?? '';
  const mark = raw.indexOf('?');
  const pathname = mark === -1 ? raw : raw.slice(0, mark);
  const prefix = request.routeOptions.url!.slice(0, -1); // '/store/', with any prefix the plugin was registered under
  let key = '';
  try {
    if (pathname.startsWith(prefix)) key = pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    throw badRequest('The URL path is not valid percent-encoding.', 'invalid_key');
  }
  const problem = keyProblem(key);
  if (problem) throw badRequest(`This URL does not name a valid object: ${problem}.`, 'invalid_key');
  return { key, query: new URLSearchParams(mark === -1 ? '' : raw.slice(mark + 1)) };
}

function authorise(store: LocalStore, method: 'PUT' | 'GET', key: string, query: URLSearchParams): Grant {
  const check = store.verifyUrl(method, key, query);
  if (check.ok) return check.grant;
  switch (check.reason) {
    case 'malformed':
      throw forbidden('This URL carries no valid signature or expiry. Ask the server for a signed URL.', 'access_denied');
    case 'mismatch':
      throw forbidden("The URL's signature does not match this request: the key, the method or a parameter differs from what was signed.", 'signature_mismatch');
    case 'expired':
      throw forbidden(`This URL expired at ${check.expiredAt.toISOString()}; ask the server for a fresh one.`, 'url_expired');
  }
}

function checkContentType(sent: string | undefined, signed: string): void {
  if (sent?.trim().toLowerCase() !== signed.toLowerCase()) {
    throw new AppError(
      415,
      'content_type_mismatch',
      `This URL was signed for Content-Type "${signed}" but the request ${sent ? `carries "${sent}"` : 'has none'}: send the headers given with the URL.`,
    );
  }
}

const tooLargeFor = (limit: number) => tooLarge(`The body is larger than the ${limit} bytes this URL allows.`);
const shortBody = (size: number, length: number) =>
  badRequest(`The body is ${size} bytes but this URL was signed for exactly ${length}: send the whole file.`, 'incomplete_body');
const missing = (code: string, message: string) => new AppError(404, code, message);
const noUploadMessage = (uploadId: string) => `There is no multipart upload ${uploadId} for this key: it was completed, aborted or never started.`;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A single `bytes=` range as inclusive offsets; `null` to serve the whole object (no range,
 * or one we do not handle such as several ranges, which RFC 9110 lets us ignore).
 */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = value === undefined ? null : /^bytes=(\d{0,16})-(\d{0,16})$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (match[2] !== '' && Number(match[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1) };
}

/** `Content-Disposition: attachment` with an ASCII fallback and the exact name in RFC 8187 form. */
function attachment(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/**
 * A refused upload may still be sending its body. Read and drop a little of it, so that the
 * client is still reading when our answer comes, then hang up.
 */
function drainThenHangUp(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let seen = 0;
  const stop = () => {
    clearTimeout(timer);
    req.off('data', onData);
  };
  const hangUp = () => {
    stop();
    req.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > LINGER_BYTES) hangUp();
  };
  const timer = setTimeout(hangUp, LINGER_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}

/** The store's refusals that are the request's fault, by status. */
const STORAGE_STATUS: Partial<Record<StorageErrorCode, number>> = { no_such_upload: 404, invalid_part: 400, entity_too_small: 400, offset_mismatch: 409 };

/** Every refusal as `{error: {code, message}}`, the way a bucket answers with its XML error. */
function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  drainThenHangUp(request.raw);
  let status = 500;
  let code = 'store_error';
  let message = 'The local store could not complete the request; the server log has the details.';
  if (error instanceof AppError) {
    ({ status, code, message } = error);
  } else if (error instanceof StorageError && STORAGE_STATUS[error.code]) {
    ({ code, message } = error);
    status = STORAGE_STATUS[error.code]!;
  } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own refusals, such as an unparseable Content-Type.
    status = error.statusCode;
    code = error.code ?? 'invalid_request';
    message = error.message;
  } else if (request.raw.destroyed) {
    request.log.info({ err: error }, 'the client went away during a store request');
  } else {
    request.log.error({ err: error }, 'local store request failed');
  }
  return reply.code(status).send({ error: { code, message } });
}
