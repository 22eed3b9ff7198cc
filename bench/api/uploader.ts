/**
 * A small uploader of its own, as a user's script would write one against the API
 * (DESIGN.md, "Full upload API"): create the upload, sign parts in batches, PUT them from
 * the file on disk with a few in flight, complete, and save the record. It does not retry:
 * under load every failure is counted, not hidden.
 */
import { createReadStream } from 'node:fs';
import type { JobFile } from './files.ts';
import { readText, send, type ApiClient } from './http.ts';

interface Created {
  id: string;
  key: string;
  strategy: 'single' | 'multipart';
  part_size: number;
  part_count: number;
  url?: string;
  headers?: Record<string, string>;
}
interface SignedPart {
  part_number: number;
  url: string;
  headers: Record<string, string>;
}

export interface UploadOutcome {
  index: number;
  kind: JobFile['kind'];
  contentType: string;
  size: number;
  sha256: string;
  strategy?: Created['strategy'];
  parts?: number;
  key?: string;
  uploadId?: string;
  recordId?: number;
  ms: number;
  /** Calls to the app's API, and PUTs to the store. */
  apiCalls: number;
  puts: number;
  /** The step that failed and why. */
  error?: string;
}

export interface UploaderOptions {
  partConcurrency: number;
  signBatch: number;
}

/** One PUT of `length` bytes of the file from `start`, streamed from disk; answers the ETag. */
async function putRange(file: JobFile, url: string, headers: Record<string, string>, start: number, length: number): Promise<string> {
  const body = createReadStream(file.path, { start, end: start + length - 1, highWaterMark: 256 * 1024 });
  const response = await send(url, { method: 'PUT', headers: { ...headers, 'content-length': length }, body });
  const text = await readText(response);
  if (response.statusCode !== 200) throw new Error(`PUT answered ${response.statusCode}: ${text.slice(0, 300)}`);
  return String(response.headers.etag ?? '');
}

/** Runs `work` over `items` with at most `limit` at once; the first failure stops the rest. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Labels a step's failure with the step, so the report says which call failed. */
async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function uploadFile(file: JobFile, api: ApiClient, options: UploaderOptions): Promise<UploadOutcome> {
  const started = performance.now();
  const outcome: UploadOutcome = { index: file.index, kind: file.kind, contentType: file.contentType, size: file.size, sha256: file.sha256, ms: 0, apiCalls: 0, puts: 0 };
  const call = <T>(status: number, method: string, path: string, json: unknown) => {
    outcome.apiCalls++;
    return api.expect<T>(status, method, path, json);
  };
  const put = (url: string, headers: Record<string, string>, start: number, length: number) => {
    outcome.puts++;
    return step('PUT', () => putRange(file, url, headers, start, length));
  };
  try {
    const created = await step('create', () =>
      call<Created>(201, 'POST', '/api/v1/uploads', {
        filename: file.name,
        size: file.size,
        content_type: file.contentType,
        kind: file.kind,
        ...(file.partSize && { part_size: file.partSize }),
      }),
    );
    Object.assign(outcome, { strategy: created.strategy, parts: created.part_count, key: created.key, uploadId: created.id });
    const etags: { part_number: number; etag: string }[] = [];
    if (created.strategy === 'single') {
      await put(created.url!, created.headers ?? {}, 0, file.size);
    } else {
      // Batches of part numbers, each signed once, when its first part is about to go.
      const numbers = Array.from({ length: created.part_count }, (_, i) => i + 1);
      const batches = new Map<number, Promise<Map<number, SignedPart>>>();
      const signed = async (part: number) => {
        const first = Math.floor((part - 1) / options.signBatch) * options.signBatch + 1;
        if (!batches.has(first)) {
          const part_numbers = numbers.slice(first - 1, first - 1 + options.signBatch);
          const answer = step('sign', () => call<{ parts: SignedPart[] }>(200, 'POST', `/api/v1/uploads/${created.id}/parts`, { part_numbers }));
          batches.set(first, answer.then(({ parts }) => new Map(parts.map((p) => [p.part_number, p]))));
        }
        return (await batches.get(first)!).get(part)!;
      };
      await eachLimited(numbers, options.partConcurrency, async (part) => {
        const { url, headers } = await signed(part);
        const start = (part - 1) * created.part_size;
        etags.push({ part_number: part, etag: await put(url, headers, start, Math.min(created.part_size, file.size - start)) });
      });
    }
    etags.sort((a, b) => a.part_number - b.part_number);
    const completed = await step('complete', () => call<{ size: number }>(200, 'POST', `/api/v1/uploads/${created.id}/complete`, { parts: etags }));
    if (completed.size !== file.size) throw new Error(`complete: answered size ${completed.size}, not ${file.size}`);
    const item = await step('save', () =>
      call<{ id: number }>(201, 'POST', `/api/v1/${file.kind}s`, { title: `Load test ${file.index}`, description: file.name, upload_id: created.id }),
    );
    outcome.recordId = item.id;
  } catch (error) {
    outcome.error = error instanceof Error ? error.message : String(error);
  }
  outcome.ms = performance.now() - started;
  return outcome;
}
