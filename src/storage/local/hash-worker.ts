import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/**
 * The thread that hashes the local store's bodies (started by hasher.ts). Bytes come in buffers
 * that it hands back once hashed, so the sender reuses them; a job ends with its digests
 * ('digest') or with nothing ('cancel').
 */

export type JobMessage = { id: number; md5: boolean; data?: Uint8Array; end?: 'digest' | 'cancel' };
export type WorkerReply = { id: number; buffer?: Uint8Array; sha256?: Uint8Array; md5?: Uint8Array };

if (!parentPort) throw new Error('hash-worker.ts runs on a worker thread: hasher.ts starts it.');
const port = parentPort;
const jobs = new Map<number, { sha256: Hash; md5: Hash | null }>();

port.on('message', ({ id, md5, data, end }: JobMessage) => {
  let job = jobs.get(id);
  if (!job) jobs.set(id, (job = { sha256: createHash('sha256'), md5: md5 ? createHash('md5') : null }));
  if (data) {
    job.sha256.update(data);
    job.md5?.update(data);
    port.postMessage({ id, buffer: data } satisfies WorkerReply, [data.buffer as ArrayBuffer]);
  }
  if (end === 'digest') port.postMessage({ id, sha256: job.sha256.digest(), md5: job.md5?.digest() } satisfies WorkerReply);
  if (end) jobs.delete(id);
});
