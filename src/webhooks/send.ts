import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { guardedLookup, literalProblem } from './target.ts';

/** What one attempt came to: the receiver's status, or why there was none. */
export type SendOutcome = { status: number } | { error: string };

export interface SendOptions {
  /** The receiver has this long to answer (its headers) before the attempt counts as failed. */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the attempt (a shutdown); it then counts as not made. */
  signal: AbortSignal;
}

/**
 * POSTs one event to one endpoint, signed as the Standard Webhooks specification says (with its
 * reference library): `webhook-id` (the event's, the same on every attempt), `webhook-timestamp`
 * (now, in seconds) and `webhook-signature` over id, timestamp and body. Redirects are not
 * followed (a redirect could point inside the network); the body of the answer is not kept.
 */
export function sendWebhook(target: { url: string; secret: string }, message: { id: string; payload: string }, options: SendOptions): Promise<SendOutcome> {
  const url = new URL(target.url);
  const literal = options.allowPrivate ? null : literalProblem(url);
  if (literal) return Promise.resolve({ error: `refused: ${literal}` });
  const now = new Date();
  const signature = new Webhook(target.secret).sign(message.id, now, message.payload);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(message.payload)),
    'user-agent': 'Airlift-Webhooks/1',
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signature,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const request = send(url, {
      method: 'POST',
      headers,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      ...(!options.allowPrivate && { lookup: guardedLookup }),
    });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: describeFailure(error, options) }));
    request.end(message.payload);
  });
}

function describeFailure(error: NodeJS.ErrnoException, options: SendOptions): string {
  if (error.code === 'ETARGETREFUSED') return error.message;
  if (error.name === 'AbortError' || error.code === 'ABORT_ERR') return options.signal.aborted ? 'stopped: the server shut down' : `no answer within ${options.timeoutMs / 1000} s`;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'the host does not resolve',
    EAI_AGAIN: 'the host could not be resolved now',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
  };
  return (error.code && words[error.code]) ?? `failed: ${error.message.slice(0, 200)}`;
}
