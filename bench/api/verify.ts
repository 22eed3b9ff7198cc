/**
 * After a load run: every upload that finished must have its record in the list API with
 * the right size and type, and its object, read back through the item's URL (the app's
 * `/media/<key>`, which redirects to a signed GET), must have the file's SHA-256.
 */
import { hashBody, readText, send, type ApiClient } from './http.ts';
import type { UploadOutcome } from './uploader.ts';

interface Item {
  id: number;
  file_key: string;
  size: number;
  content_type: string;
  video_url?: string;
  image_url?: string;
}

export interface Verification {
  /** Uploads that failed before their record was saved. */
  uploadFailures: number;
  missingRecords: number;
  wrongSize: number;
  /** Records listed that no upload of this run made. */
  strayRecords: number;
  readFailures: number;
  hashMismatches: number;
  /** Bytes read back and checked. */
  bytesChecked: number;
  ms: number;
  problems: string[];
}

async function listAll(api: ApiClient, kind: 'videos' | 'photos'): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Item[]; next_cursor: string | null } = await api.expect(200, 'GET', `/api/v1/${kind}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** The object behind an item's URL: the app's redirect, then the signed GET, hashed as it streams. */
async function readBack(api: ApiClient, url: string): Promise<{ sha256: string; bytes: number }> {
  const base = api.nextBase();
  const redirect = await send(new URL(url, base).toString(), { headers: api.headers(false) });
  const text = await readText(redirect);
  if (redirect.statusCode !== 302 || !redirect.headers.location) throw new Error(`GET ${url} answered ${redirect.statusCode}: ${text.slice(0, 200)}`);
  const object = await send(new URL(redirect.headers.location, base).toString());
  if (object.statusCode !== 200) throw new Error(`the signed GET answered ${object.statusCode}: ${(await readText(object)).slice(0, 200)}`);
  return hashBody(object);
}

export async function verify(api: ApiClient, outcomes: UploadOutcome[], readConcurrency = 8): Promise<Verification> {
  const started = performance.now();
  const result: Verification = { uploadFailures: 0, missingRecords: 0, wrongSize: 0, strayRecords: 0, readFailures: 0, hashMismatches: 0, bytesChecked: 0, ms: 0, problems: [] };
  const problem = (counter: keyof Verification, text: string) => {
    (result[counter] as number)++;
    result.problems.push(text);
  };
  const items = new Map<string, Item>();
  for (const item of [...(await listAll(api, 'videos')), ...(await listAll(api, 'photos'))]) items.set(item.file_key, item);
  const saved = outcomes.filter((o) => !o.error);
  for (const o of outcomes) if (o.error) problem('uploadFailures', `upload ${o.index}: ${o.error}`);
  const keys = new Set(saved.map((o) => o.key));
  for (const key of items.keys()) if (!keys.has(key)) problem('strayRecords', `record for ${key}, which no upload of this run made`);

  let next = 0;
  const worker = async () => {
    while (next < saved.length) {
      const o = saved[next++]!;
      const item = items.get(o.key!);
      if (!item) {
        problem('missingRecords', `upload ${o.index}: no record for ${o.key} in the list`);
        continue;
      }
      if (item.size !== o.size || item.content_type !== o.contentType) {
        problem('wrongSize', `upload ${o.index}: the record says ${item.size} bytes of ${item.content_type}, the file is ${o.size} bytes of ${o.contentType}`);
      }
      try {
        const read = await readBack(api, item.video_url ?? item.image_url!);
        result.bytesChecked += read.bytes;
        if (read.sha256 !== o.sha256 || read.bytes !== o.size) problem('hashMismatches', `upload ${o.index}: read back ${read.bytes} bytes with SHA-256 ${read.sha256.slice(0, 12)}…, not ${o.sha256.slice(0, 12)}…`);
      } catch (error) {
        problem('readFailures', `upload ${o.index}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: readConcurrency }, worker));
  result.ms = performance.now() - started;
  return result;
}

/** Total failures of every kind: the figure that must be 0. */
export const failures = (v: Verification) => v.uploadFailures + v.missingRecords + v.wrongSize + v.strayRecords + v.readFailures + v.hashMismatches;
