/**
 * What can go wrong during an upload, as classes the retry policy (`retry.ts`) tells apart:
 * the first three can heal with time, the others say why the upload stopped.
 */
import type { PutResult } from './put-result.ts';

/** The connection failed before an answer came: reset, DNS, offline, or a CORS refusal. */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** No answer, or no upload progress, for too long. */
export class RequestTimeout extends Error {
  override name = 'RequestTimeout';
}

/** The Airlift API answered with an error status and its `{error: {code, message}}` body. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * The server's 404 (the upload is gone) or 409 (it cannot go on: aborted, expired, or saved as
 * an item already): either way there is nothing to continue or remove.
 */
export const isGone = (error: unknown): boolean => error instanceof ApiError && (error.status === 404 || error.status === 409);

/** The store answered a PUT with a status other than 2xx. */
export class StoreRefused extends Error {
  override name = 'StoreRefused';
  constructor(readonly result: PutResult) {
    super(result.error?.message ? `The storage refused the upload: ${result.error.message}` : `The storage refused the upload (HTTP ${result.status}).`);
  }
}

/**
 * The upload stopped for good. `healable` is true when trying again later can succeed
 * (the network or the server was down): the stored parts are then kept for a resume.
 */
export class UploadFailed extends Error {
  override name = 'UploadFailed';
  constructor(
    message: string,
    readonly healable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The abort reason of requests stopped on purpose, so the engine can tell them from failures:
 * a pause keeps the upload's state, a cancel discards it.
 */
export class Interruption extends Error {
  override name = 'Interruption';
  constructor(readonly kind: 'pause' | 'cancel') {
    super(kind === 'pause' ? 'The upload is paused.' : 'The upload was cancelled.');
  }
}

export function isInterruption(error: unknown, kind?: Interruption['kind']): error is Interruption {
  return error instanceof Interruption && (kind === undefined || error.kind === kind);
}

/**
 * Not a failure: the one PUT of a whole file failed in a way that can heal, or goes slower
 * than planned, so the upload goes on in parts (file-upload.ts), and a further failure then
 * costs one part, not the file.
 */
export class SplitIntoParts extends Error {
  override name = 'SplitIntoParts';
  /** The rate the PUT measured, when it gave way for going slower than planned: the parts are planned for it. */
  readonly bytesPerSecond: number | undefined;

  constructor(message: string, options?: ErrorOptions & { bytesPerSecond?: number }) {
    super(message, options);
    this.bytesPerSecond = options?.bytesPerSecond;
  }
}
