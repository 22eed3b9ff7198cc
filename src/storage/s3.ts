import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CORSRule,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { R2Config } from '../config.ts';
import { attachment } from './content-disposition.ts';
import { READ_START_MAX, StorageError, type StorageDriver, type StoredPart } from './driver.ts';
import { partSizeProblem } from './part-rules.ts';

export type { CORSRule };

/** The R2/S3 driver, plus the bucket-level calls the CLI's `storage cors` and `doctor` need. */
export interface S3Store extends StorageDriver {
  readonly kind: 's3';
  readonly bucket: string;
  /** Lists one key: proves the endpoint, credentials, clock and bucket in one request. */
  checkBucket(): Promise<void>;
  /** The bucket's CORS rules, or `null` when it has none. */
  getBucketCors(): Promise<CORSRule[] | null>;
  /** Replaces the bucket's CORS rules (R2 may take ~30 s to apply them). */
  putBucketCors(rules: CORSRule[]): Promise<void>;
}

export interface StorageErrorContext {
  endpoint: string;
  bucket: string;
  /** What Airlift was doing, e.g. "CreateMultipartUpload". */
  operation?: string;
  key?: string;
  uploadId?: string;
}

/**
 * Every call to the store has a deadline over all its attempts, so a store that stops answering
 * (a process stopped, a network that drops packets) fails the request with a clear 503 within
 * seconds instead of holding it for a minute. Within it, a connection that cannot be made in
 * 3 s or a socket silent for 4 s fails its attempt, so the second attempt (on a fresh
 * connection) still fits. Assembling many parts takes the store longer: CompleteMultipartUpload
 * has more time, and a client without the idle limit (a store may think for a while, silent).
 */
export const CALL_DEADLINE_MS = 8_000;
export const completeDeadlineMs = (parts: number) => 10_000 + 20 * parts;
const CONNECTION_TIMEOUT_MS = 3_000;
const IDLE_TIMEOUT_MS = 4_000;

/** A call that ran out of its deadline; `storageErrorFrom` turns it into 'unavailable'. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

/**
 * Runs `run` with a signal that aborts at the deadline, and gives up then whatever `run` does
 * (the SDK may still be between attempts): the caller gets `DeadlineExceeded` on time.
 */
export async function withDeadline<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceeded(ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const running = run(controller.signal);
  // Once the deadline has answered, the aborted call's own rejection is nobody's to hear.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

export async function createS3Store(config: R2Config): Promise<S3Store> {
  const clientFor = (socketTimeout: number | undefined) =>
    new S3Client({
      endpoint: config.endpoint,
      region: config.region || 'auto',
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // SDK >= 3.729 otherwise adds CRC32 checksums that presigned browser uploads then fail.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout },
    });
  const client = clientFor(IDLE_TIMEOUT_MS);
  // Only for CompleteMultipartUpload: no idle limit, its deadline alone bounds it.
  const patientClient = clientFor(0);
  const Bucket = config.bucket;
  const base = { endpoint: config.endpoint, bucket: Bucket };

  /** One request to the store, within its deadline. */
  const send = <T>(run: (options: { abortSignal: AbortSignal }) => Promise<T>, ms = CALL_DEADLINE_MS) => withDeadline(ms, (abortSignal) => run({ abortSignal }));

  async function call<T>(context: Omit<StorageErrorContext, 'endpoint' | 'bucket'>, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storageErrorFrom(error, { ...base, ...context });
    }
  }

  const expiry = (expiresIn: number) => new Date(Date.now() + expiresIn * 1000);

  const store: S3Store = {
    kind: 's3',
    bucket: Bucket,
    // No 'resumable-put': a PUT is all or nothing on S3 and R2, what a cut PUT sent is gone.
    extensions: [],

    async presignPut(key, { contentType, expiresIn, contentLength, contentMd5, ifNoneMatch }) {
      // No ACL, tagging or SSE headers: R2 implements none of them. `If-None-Match: *` stays a
      // header (the presigner hoists only x-amz-* into the query) and is signed, so the request
      // must carry it: the same URL without it is refused, and with it the store answers 412
      // once an object exists under the key.
      const IfNoneMatch = ifNoneMatch ? '*' : undefined;
      const command = new PutObjectCommand({ Bucket, Key: key, ContentType: contentType, ContentLength: contentLength, ContentMD5: contentMd5, IfNoneMatch });
      const signableHeaders = new Set(['content-type', ...(contentMd5 ? ['content-md5'] : []), ...(IfNoneMatch ? ['if-none-match'] : [])]);
      const url = await call({ operation: 'PutObject (presign)', key }, () => getSignedUrl(client, command, { expiresIn, signableHeaders }));
      const headers: Record<string, string> = { 'Content-Type': contentType };
      if (contentMd5) headers['Content-MD5'] = contentMd5;
      if (IfNoneMatch) headers['If-None-Match'] = IfNoneMatch;
      // Content-Length is signed too, but browsers set it from the body themselves.
      return { url, method: 'PUT', headers, expiresAt: expiry(expiresIn) };
    },

    async createMultipart(key, { contentType }) {
      const out = await call({ operation: 'CreateMultipartUpload', key }, () =>
        send((o) => client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }), o)),
      );
      if (!out.UploadId) throw new StorageError('store_error', `The store at ${config.endpoint} started a multipart upload of ${key} without an upload id.`);
      return out.UploadId;
    },

    async presignPart(key, uploadId, partNumber, { expiresIn, contentLength, contentMd5 }) {
      const command = new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: contentLength, ContentMD5: contentMd5 });
      const signableHeaders = contentMd5 ? new Set(['content-md5']) : undefined;
      const url = await call({ operation: 'UploadPart (presign)', key, uploadId }, () => getSignedUrl(client, command, { expiresIn, signableHeaders }));
      const headers: Record<string, string> = contentMd5 ? { 'Content-MD5': contentMd5 } : {};
      return { url, method: 'PUT', headers, expiresAt: expiry(expiresIn) };
    },

    async listParts(key, uploadId) {
      const parts: StoredPart[] = [];
      let marker: string | undefined;
      do {
        const page = await call({ operation: 'ListParts', key, uploadId }, () =>
          send((o) => client.send(new ListPartsCommand({ Bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }), o)),
        );
        for (const part of page.Parts ?? []) {
          parts.push({ partNumber: part.PartNumber ?? 0, size: part.Size ?? 0, etag: part.ETag ?? '' });
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    },

    async completeMultipart(key, uploadId, parts) {
      // S3 and R2 want ascending part numbers (InvalidPartOrder); the order a client lists them in is no reason to fail.
      const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      // R2 refuses unequal parts, S3-compatible servers (RGW) do not: check R2's rule here so every store behaves like R2.
      const problem = partsProblem(sorted, await store.listParts(key, uploadId));
      if (problem) throw new StorageError('invalid_part', `The parts of ${key} cannot be assembled: ${problem}`);
      // The answer's ETag is not used: RGW sends it empty; `head` gives the real one.
      await call({ operation: 'CompleteMultipartUpload', key, uploadId }, () =>
        send(
          (o) =>
            patientClient.send(
              new CompleteMultipartUploadCommand({
                Bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
              }),
              o,
            ),
          completeDeadlineMs(sorted.length),
        ),
      );
    },

    async abortMultipart(key, uploadId) {
      try {
        await call({ operation: 'AbortMultipartUpload', key, uploadId }, () =>
          send((o) => client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }), o)),
        );
      } catch (error) {
        if (!(error instanceof StorageError && error.code === 'no_such_upload')) throw error;
      }
    },

    async head(key) {
      try {
        const out = await send((o) => client.send(new HeadObjectCommand({ Bucket, Key: key }), o));
        return {
          size: out.ContentLength ?? 0,
          contentType: out.ContentType ?? 'application/octet-stream',
          etag: out.ETag ?? '',
          lastModified: out.LastModified ?? new Date(0),
        };
      } catch (error) {
        const context = { ...base, operation: 'HeadObject', key };
        // A HEAD answer has no body, so a 403 or 404 does not say why: ask again with a GET, whose answer does.
        const status = httpStatus(error);
        if (status !== 403 && status !== 404) throw storageErrorFrom(error, context);
        const why = await explainHeadFailure(client, context, send);
        if (status === 404 && (!why || why.code !== 'no_such_bucket')) return null;
        throw why ?? storageErrorFrom(error, context);
      }
    },

    async readStart(key, bytes) {
      const length = Math.max(1, Math.min(bytes, READ_START_MAX));
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=0-${length - 1}` }));
        const body = out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
        return body.subarray(0, length);
      } catch (error) {
        if (errorCode(error) === 'NoSuchKey') return null;
        // An empty object has no byte 0: its ranged GET is unsatisfiable.
        if (errorCode(error) === 'InvalidRange' || httpStatus(error) === 416) return Buffer.alloc(0);
        throw storageErrorFrom(error, { ...base, operation: 'GetObject (first bytes)', key });
      }
    },

    async delete(key) {
      await call({ operation: 'DeleteObject', key }, () => send((o) => client.send(new DeleteObjectCommand({ Bucket, Key: key }), o)));
    },

    async presignGet(key, { expiresIn, filename }) {
      const command = new GetObjectCommand({ Bucket, Key: key, ResponseContentDisposition: filename ? attachment(filename) : undefined });
      return call({ operation: 'GetObject (presign)', key }, () => getSignedUrl(client, command, { expiresIn }));
    },

    publicUrl(key) {
      if (!config.cdnDomain) return null;
      return `https://${config.cdnDomain}/${key.split('/').map(encodeURIComponent).join('/')}`;
    },

    async listIncompleteMultipart(olderThan) {
      const found: { key: string; uploadId: string; initiated: Date }[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await call({ operation: 'ListMultipartUploads' }, () =>
          send((o) => client.send(new ListMultipartUploadsCommand({ Bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }), o)),
        );
        for (const upload of page.Uploads ?? []) {
          if (upload.Key && upload.UploadId && upload.Initiated && upload.Initiated < olderThan) {
            found.push({ key: upload.Key, uploadId: upload.UploadId, initiated: upload.Initiated });
          }
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
      return found;
    },

    async close() {
      client.destroy();
      patientClient.destroy();
    },

    async checkBucket() {
      await call({ operation: 'ListObjectsV2' }, () => send((o) => client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1 }), o)));
    },

    async getBucketCors() {
      try {
        const out = await send((o) => client.send(new GetBucketCorsCommand({ Bucket }), o));
        return out.CORSRules?.length ? out.CORSRules : null;
      } catch (error) {
        if (errorCode(error) === 'NoSuchCORSConfiguration') return null;
        throw storageErrorFrom(error, { ...base, operation: 'GetBucketCors' });
      }
    },

    async putBucketCors(rules) {
      await call({ operation: 'PutBucketCors' }, () => send((o) => client.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: rules } }), o)));
    },
  };
  return store;
}

/** The error a one-byte GET of the key meets (its answer has a body that names the cause), or null if it works. */
async function explainHeadFailure(
  client: S3Client,
  context: StorageErrorContext & { key: string },
  send: <T>(run: (options: { abortSignal: AbortSignal }) => Promise<T>) => Promise<T>,
): Promise<StorageError | null> {
  try {
    const out = await send((o) => client.send(new GetObjectCommand({ Bucket: context.bucket, Key: context.key, Range: 'bytes=0-0' }), o));
    (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
    return null;
  } catch (error) {
    return errorCode(error) === 'NoSuchKey' ? null : storageErrorFrom(error, context);
  }
}

/**
 * Why R2 would refuse to assemble `parts` (ascending) from the `stored` ones, or null: each part
 * listed once and stored, and their sizes within R2's rule (`partSizeProblem`).
 * The store itself still checks ETags and the 5 MiB floor.
 */
export function partsProblem(parts: { partNumber: number }[], stored: StoredPart[]): string | null {
  const sizes = new Map(stored.map((p) => [p.partNumber, p.size]));
  const sized: { partNumber: number; size: number }[] = [];
  for (const [i, part] of parts.entries()) {
    if (i > 0 && parts[i - 1]!.partNumber === part.partNumber) return `part ${part.partNumber} is listed twice.`;
    const size = sizes.get(part.partNumber);
    if (size === undefined) return `part ${part.partNumber} was never uploaded.`;
    sized.push({ partNumber: part.partNumber, size });
  }
  // Without a floor, the only problem left is R2's rule: invalid_part.
  return partSizeProblem(sized)?.message ?? null;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { Code?: unknown; name?: unknown };
  return typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/** The Node network error code of `error` or of what it wraps (`cause`, an AggregateError's `errors`). */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (e.name === 'TimeoutError') return 'timeout';
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const code = networkCode(inner, depth + 1);
    if (code) return code;
  }
  return undefined;
}

/**
 * Turns whatever the SDK threw into a `StorageError` whose message tells the operator what to
 * check. Shared by the driver and the CLI (`doctor`, `storage cors`).
 */
export function storageErrorFrom(error: unknown, context: StorageErrorContext): StorageError {
  if (error instanceof StorageError) return error;
  const { endpoint, bucket, operation, key, uploadId } = context;
  const doing = operation ? ` (${operation})` : '';
  const detail = error instanceof Error ? error.message : String(error);
  // The SDK says "UnknownError" when the store sent no message (RGW often does not).
  const said = detail && detail !== 'UnknownError' && detail !== errorCode(error) ? `: ${detail}` : '';
  const make = (code: StorageError['code'], message: string) => new StorageError(code, message, { cause: error });

  if (error instanceof DeadlineExceeded) {
    return make(
      'unavailable',
      `The store at ${endpoint} did not answer within ${error.ms / 1000} s${doing}: it is down, overloaded or unreachable. Try again in a moment; check R2_ENDPOINT_URL and that this server can reach it.`,
    );
  }
  const net = networkCode(error);
  if (net) {
    return make('unavailable', `Cannot reach the store at ${endpoint}${doing}: ${net === 'timeout' ? 'no answer in time' : net}. Check R2_ENDPOINT_URL and that this server can reach it.`);
  }
  const code = errorCode(error);
  const status = httpStatus(error);
  switch (code) {
    case 'InvalidAccessKeyId':
      return make('invalid_credentials', `R2_ACCESS_KEY_ID is not a key the store at ${endpoint} knows: check it, and that its API token still exists.`);
    case 'SignatureDoesNotMatch':
      return make('signature_mismatch', `The store at ${endpoint} rejected the request signature${doing}: check R2_SECRET_ACCESS_KEY (it must be the secret that goes with R2_ACCESS_KEY_ID).`);
    case 'NoSuchBucket':
      return make('no_such_bucket', `There is no bucket "${bucket}" at ${endpoint}: check R2_BUCKET_NAME (and that R2_ENDPOINT_URL is the right account).`);
    case 'AccessDenied':
    case 'Forbidden':
      return make('access_denied', `Access denied to bucket "${bucket}"${doing}: the API token of R2_ACCESS_KEY_ID needs Object Read & Write permission on this bucket.`);
    case 'RequestTimeTooSkewed':
      return make('clock_skew', `The store at ${endpoint} refused the request because this server's clock is wrong: check the system clock (NTP).`);
    case 'NoSuchKey': // RGW's answer to ListParts for an unknown upload
      if (!uploadId) break;
    // falls through
    case 'NoSuchUpload':
      return make('no_such_upload', `There is no multipart upload ${uploadId ? `"${uploadId}" ` : ''}of ${key ?? 'this object'}: it was completed, aborted, or expired.`);
    case 'InvalidPart':
    case 'InvalidPartOrder':
      return make('invalid_part', `The store refused the parts of ${key ?? 'the upload'} (${code}${said}): each part must be uploaded and listed once with its ETag, and all but the last must have the same size.`);
    case 'EntityTooSmall':
      return make('entity_too_small', `The store refused the parts of ${key ?? 'the upload'}: every part but the last must be at least 5 MiB.`);
  }
  if ((status !== undefined && status >= 500) || code === 'SlowDown' || code === 'ServiceUnavailable' || code === 'InternalError') {
    const answer = [status, code].filter(Boolean).join(' ');
    return make('unavailable', `The store at ${endpoint} is down or overloaded${doing}: it answered ${answer}. Try again later.`);
  }
  return make('store_error', `The store at ${endpoint} refused${doing}${key ? ` for ${key}` : ''}: ${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}${said}`);
}

// --- CORS: the rules browser uploads need, and a check of existing rules (pure) ---

const METHODS = ['PUT', 'GET', 'HEAD'] as const;
// If-None-Match: the create-only condition a whole-file PUT carries (a URL cannot replace a completed upload's object).
const UPLOAD_HEADERS = ['content-type', 'content-md5', 'if-none-match'];

/** The CORS rules a browser upload from `origin` needs: PUT/GET/HEAD, the signed headers, `ETag` exposed. */
export function corsRulesFor(origin: string): CORSRule[] {
  return [
    {
      AllowedOrigins: [origin],
      AllowedMethods: [...METHODS],
      AllowedHeaders: [...UPLOAD_HEADERS, 'range'],
      ExposeHeaders: ['ETag'],
      MaxAgeSeconds: 3600,
    },
  ];
}

/** S3 wildcards: `*` matches any run of characters; comparison is exact otherwise (case-insensitive for headers). */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** The problems that stop a browser on `origin` from uploading (empty = fine). */
export function checkCors(rules: CORSRule[] | null | undefined, origin: string): string[] {
  if (!rules?.length) return [`The bucket has no CORS rules, so browsers on ${origin} cannot upload to it: run "airlift storage cors".`];
  // Like S3, the first rule matching origin, method and request headers is the one applied.
  const ruleFor = (method: string, headers: string[]) =>
    rules.find(
      (rule) =>
        (rule.AllowedOrigins ?? []).some((o) => matches(o, origin, false)) &&
        (rule.AllowedMethods ?? []).some((m) => m.toUpperCase() === method) &&
        headers.every((h) => (rule.AllowedHeaders ?? []).some((allowed) => matches(allowed, h, true))),
    );
  const problems: string[] = [];
  const upload = ruleFor('PUT', UPLOAD_HEADERS);
  if (!upload) {
    const origins = [...new Set(rules.flatMap((r) => r.AllowedOrigins ?? []))];
    problems.push(
      `No CORS rule lets ${origin} send PUT with the headers ${UPLOAD_HEADERS.join(', ')}, so uploads fail before they start (origins must match exactly; the rules allow ${origins.join(', ') || 'no origin'}).`,
    );
  } else if (!(upload.ExposeHeaders ?? []).some((h) => h.toLowerCase() === 'etag')) {
    problems.push(`The CORS rule for ${origin} does not expose the ETag header, so browsers cannot read part ETags and multipart uploads fail at completion.`);
  }
  for (const method of ['GET', 'HEAD']) {
    if (!ruleFor(method, [])) problems.push(`No CORS rule lets ${origin} send ${method}, so the browser cannot read uploaded files from the bucket.`);
  }
  return problems;
}
