/**
 * For the senders' tests: a `SendContext` over a fake server and store. Requests run through
 * the real `retrying` with short delays; the store is a script, one answer per PUT.
 */
import type { SignedPart, UploadState } from '../shared/api.ts';
import { alwaysOnline } from './connectivity.ts';
import { PartQueue } from './part-queue.ts';
import type { PutResult } from './put-result.ts';
import { Recovery } from './recovery.ts';
import { retrying, type RequestOptions, type RetryOptions } from './retry.ts';
import type { SendContext } from './sender.ts';

export interface PutCall {
  url: string;
  headers: Record<string, string>;
  body: Blob;
}

/** What the store does with one PUT: answer (after reporting every byte sent), or fail. */
export type PutScript = (call: PutCall, index: number) => PutResult | Error | Promise<PutResult | Error>;

export const ok = (etag: string | null = '"etag"'): PutResult => ({ status: 200, etag });

export function fakeSendContext({ size, put, heldBytes = () => 0, retry = {}, reach }: { size: number; put: PutScript; heldBytes?: () => number; retry?: Partial<RetryOptions>; reach?: (url: string) => Promise<void> }) {
  const log = { puts: [] as PutCall[], signed: [] as number[][], heldAsked: 0, sending: 0, requests: [] as RequestOptions[], reached: [] as string[] };
  const ctx: SendContext = {
    uploadId: 'u1',
    blob: new Blob([new Uint8Array(size)]),
    priority: 0,
    api: {
      async signParts(_, { part_numbers }): Promise<SignedPart[]> {
        log.signed.push(part_numbers);
        return part_numbers.map((n) => ({ part_number: n, url: `https://store/u1/${n}?v=${log.signed.length}`, headers: {}, expires_at: new Date(Date.now() + 3_600_000).toISOString() }));
      },
      async getUpload() {
        log.heldAsked += 1;
        return { held_bytes: heldBytes() } as UploadState;
      },
    },
    transport: {
      async put(url, headers, body, onProgress) {
        const call = { url, headers, body };
        const answer = await put(call, log.puts.push(call) - 1);
        if (answer instanceof Error) throw answer;
        if (answer.status < 300) onProgress(body.size);
        return answer;
      },
      ...(reach && {
        reach: (url: string) => {
          log.reached.push(url);
          return reach(url);
        },
      }),
    },
    queue: new PartQueue(4),
    recovery: new Recovery(),
    signBatchSize: 8,
    sendTimeMs: () => 0,
    request: (request, signal, options = {}) => {
      log.requests.push(options);
      return retrying(request, { policy: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 }, ...retry, ...options, signal, connectivity: alwaysOnline });
    },
    onSending: () => (log.sending += 1),
    onProgress: () => undefined,
  };
  return { ctx, log };
}
