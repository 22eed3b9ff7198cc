import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toAppError } from '../../http-errors.ts';
import { StorageError } from '../driver.ts';

/** How the local store's endpoints answer a refusal: `{error: {code, message}}`, the way a bucket answers with its XML error. */

const MiB = 1024 ** 2;
/** How long, and how much, a refused upload may keep sending so that its client reads our answer. */
const LINGER_MS = 5_000;
const LINGER_BYTES = 16 * MiB;

/**
 * The error handler of the store's endpoints: the status comes from the app's one table
 * (`toAppError`), the body keeps the store's own code (`no_such_upload`, not the API's
 * `storage_no_such_upload`), as a bucket answers with its own error codes.
 */
export function renderRefusal(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  drainThenHangUp(request.raw);
  const refusal = toAppError(error);
  const { status } = refusal;
  let { code, message } = refusal;
  if (status >= 500) {
    if (request.raw.destroyed) request.log.info({ err: error }, 'the client went away during a store request');
    else request.log.error({ err: error }, 'local store request failed');
    if (!(error instanceof StorageError) || status === 500) message = 'The local store could not complete the request; the server log has the details.';
    code = 'store_error';
  } else if (error instanceof StorageError) {
    code = error.code;
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
