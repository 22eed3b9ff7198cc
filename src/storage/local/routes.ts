import type { FileHandle } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, forbidden, tooLarge } from '../../errors.ts';
import type { ErrorCode } from '../../shared/error-codes.ts';
import type { ObjectInfo } from '../driver.ts';
import type { BodyTarget } from './body.ts';
import type { PutTarget } from './held-puts.ts';
import { BodyHasher, etagOf } from './hasher.ts';
import { IO_CHUNK, keyProblem } from './layout.ts';
import { noUploadMessage } from './part-files.ts';
import { continuedFrom, parseRange } from './ranges.ts';
import { BodyTooLarge, hashFile, receive, type Received } from './receive.ts';
import { renderRefusal } from './refusals.ts';
import { servedHeaders } from './served-type.ts';
import type { Grant, UrlCheck } from './signing.ts';

/** What the endpoints need of the store: checking a URL, and where a body goes or an object comes from. */
export interface LocalStoreEndpoint {
  verifyUrl(method: 'PUT' | 'GET', key: string, query: URLSearchParams): UrlCheck;
  /** Whole seconds until a grant expires (for Cache-Control). */
  secondsLeft(grant: Grant): number;
  beginPart(key: string, uploadId: string, partNumber: number, length: number | undefined): Promise<BodyTarget>;
  beginPut(key: string, contentType: string, options: PutTarget): Promise<BodyTarget>;
  openObject(key: string): Promise<{ handle: FileHandle; info: ObjectInfo } | null>;
  /** The types its GETs show inline (the configured media types); any other media type is a download. Undefined: every media type but markup. */
  readonly inlineTypes?: readonly string[];
}

/**
 * The local store's bucket-like endpoints: `PUT /store/<key>` (an object or a part) and
 * `GET`/`HEAD /store/<key>`. The URL's signature alone authorises a request, as with a
 * bucket's presigned URL: no session, no CSRF token. Registered without fastify-plugin, so the
 * raw-body parser and the error handler below stay inside this plugin.
 */
export function localStoreRoutes(store: LocalStoreEndpoint): FastifyPluginAsync {
  return async (app) => {
    const hasher = new BodyHasher();
    app.addHook('onClose', () => hasher.close());
    // The PUT handler streams request.raw to disk itself: no parser may buffer it or apply a body limit.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.setErrorHandler(renderRefusal);
    app.put('/store/*', (request, reply) => putObject(store, hasher, request, reply));
    app.route({ method: ['GET', 'HEAD'], url: '/store/*', handler: (request, reply) => getObject(store, request, reply) });
  };
}

async function putObject(store: LocalStoreEndpoint, hasher: BodyHasher, request: FastifyRequest, reply: FastifyReply) {
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
      : await store.beginPut(key, grant.contentType!, { length: grant.length, from, createOnly: grant.createOnly === 1 });
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
      // The client went away, or the store stopped the body (a newer PUT took over): what
      // arrived stays for a continuation. A stopped body's answer says why, not "send it whole".
      keep = into.resumable;
      throw shortBody(received.size, length, into.signal.aborted ? into.signal.reason : undefined);
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

async function getObject(store: LocalStoreEndpoint, request: FastifyRequest, reply: FastifyReply) {
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
      .headers(servedHeaders(key, info.contentType, { filename: grant.filename, inlineTypes: store.inlineTypes }))
      .header('content-length', String(end - start + 1))
      .header('etag', info.etag)
      .header('last-modified', info.lastModified.toUTCString())
      .header('accept-ranges', 'bytes')
      .header('cache-control', `private, max-age=${store.secondsLeft(grant)}`)
      .header('access-control-expose-headers', 'ETag, Content-Range, Content-Length, Accept-Ranges');
    if (range) reply.header('content-range', `bytes ${start}-${end}/${info.size}`);
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

function authorise(store: LocalStoreEndpoint, method: 'PUT' | 'GET', key: string, query: URLSearchParams): Grant {
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
const shortBody = (size: number, length: number, stoppedBy?: unknown) =>
  badRequest(
    stoppedBy instanceof Error
      ? `The store stopped this body after ${size} of the ${length} bytes this URL was signed for: ${stoppedBy.message}`
      : `The body is ${size} bytes but this URL was signed for exactly ${length}: send the whole file.`,
    'incomplete_body',
  );
const missing = (code: ErrorCode, message: string) => new AppError(404, code, message);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
