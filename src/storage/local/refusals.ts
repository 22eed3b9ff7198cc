import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { StorageError, type StorageErrorCode } from '../driver.ts';

/** How the local store's endpoints answer a refusal: `{error: {code, message}}`, the way a bucket answers with its XML error. */

const MiB = 1024 ** 2;
/** How long, and how much, a refused upload may keep sending so that its client reads our answer. */
const LINGER_MS = 5_000;
const LINGER_BYTES = 16 * MiB;

/**
 * The status of each store refusal that is the request's fault, on the store's own endpoints
 * (the app's API has its table in http-errors.ts; `no_such_upload` is a 404 here, as on a bucket).
 */
export const STORE_ENDPOINT_STATUS: Partial<Record<StorageErrorCode, number>> = { no_such_upload: 404, invalid_part: 400, entity_too_small: 400, offset_mismatch: 409 };

/** The error handler of the store's endpoints. */
export function renderRefusal(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  drainThenHangUp(request.raw);
  let status = 500;
  let code = 'store_error';
  let message = 'The local store could not complete the request; the server log has the details.';
  if (error instanceof AppError) {
    ({ status, code, message } = error);
  } else if (error instanceof StorageError && STORE_ENDPOINT_STATUS[error.code]) {
    ({ code, message } = error);
    status = STORE_ENDPOINT_STATUS[error.code]!;
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
