import { createReadStream, createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { finished, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BodyTarget } from './body.ts';
import type { Digests, HashJob } from './hasher.ts';
import { IO_CHUNK } from './layout.ts';

/** The body passed the most bytes its target may take. */
export class BodyTooLarge extends Error {}

export interface Received {
  size: number;
  digests: Digests;
}

/**
 * Streams the body into its target, hashing and counting on the way, and fails with
 * `BodyTooLarge` as soon as it passes `limit`. The request is piped rather than put in the
 * pipeline: a pipeline would destroy it on overflow, and with it the socket the 413 must go
 * out on. Returns, or throws, only once the file is closed, so no write lands after.
 */
export async function receive(req: IncomingMessage, into: BodyTarget, limit: number, hash: HashJob): Promise<Received> {
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

/** Feeds the first `length` bytes of `file` to `hash` (the bytes held before a continued body). */
export async function hashFile(hash: HashJob, file: string, length: number): Promise<void> {
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1, highWaterMark: IO_CHUNK }) as AsyncIterable<Buffer>) {
    await hash.update(chunk);
  }
}
