/**
 * The hostile-input suite's common ground: a real server (PostgreSQL, where NUL bytes and
 * out-of-range ids fail loudly, and the local store or the S3 test server), two editors with
 * saved items and uploads in every state, and the checks every refused request must pass:
 * the right status, the one error shape with a clear message, nothing written, no stray
 * object in the store, and a server that still answers.
 */
import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { SeedPresigned, UploadCreated } from '../../src/shared/api.ts';
import { startTestApp, type Session, type TestApp, type TestAppOptions } from '../harness.ts';
import { mediaBytes } from '../media-bytes.ts';

export type { Session, TestApp };

/** What the server made before the cases run: ids and keys for cases to aim at. */
export interface Fixtures {
  /** Alice's saved video and photo, and Bob's saved video. */
  aliceVideo: { id: number; key: string };
  alicePhoto: { id: number; key: string };
  bobVideo: { id: number; key: string };
  /** Completed uploads that no record uses yet. */
  aliceVideoUpload: { id: string; key: string };
  alicePhotoUpload: { id: string; key: string };
  aliceCoverUpload: { id: string; key: string };
  bobVideoUpload: { id: string; key: string };
  /** Single-PUT tickets of Alice's whose bytes never came. */
  alicePending: UploadCreated;
  alicePendingPhoto: UploadCreated;
  /** A multipart ticket of Alice's (3 parts of 5 MiB), nothing sent. */
  aliceMultipart: UploadCreated;
  /** Seed tickets of Alice's whose object is stored, not yet saved; and Bob's. */
  aliceSeedVideo: SeedPresigned;
  aliceSeedPhoto: SeedPresigned;
  bobSeedVideo: SeedPresigned;
}

export interface Hostile {
  t: TestApp;
  alice: Session;
  bob: Session;
  fx: Fixtures;
  /** Takes the snapshot the case is compared against again, after the case's own set-up. */
  mark(): Promise<void>;
}

export interface CallOptions {
  /** The session to send; `null` for none. Alice's by default. */
  session?: Session | null;
  json?: unknown;
  body?: string | Uint8Array<ArrayBuffer>;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** false: send the session's cookie but no CSRF header. */
  csrf?: boolean;
  /** Send the path as it is: fetch would resolve "%2e%2e" segments before sending. */
  verbatim?: boolean;
}

const MiB = 1024 * 1024;
const TABLES = ['users', 'uploads', 'videos', 'photos'] as const;

/** Words that betray an internal failure leaking into a client's message. */
const INTERNAL = /internal server error|invalid input syntax|out of range for type|byte sequence|violates|relation "|column "|syntax error at|\bFST_|\bERR_|node_modules|\n\s+at |\.[jt]s:\d+:\d+|stack trace/i;

/**
 * Starts the server for one test file and checks, after every case, that nothing was written
 * to the tracked tables, that the store holds no object without an owner, and that the
 * server still answers. Defaults to PostgreSQL and the local store.
 */
export function useHostileApp(options: TestAppOptions = {}): Hostile {
  const h = {} as Hostile;
  let before: Record<string, string> = {};

  beforeAll(async () => {
    h.t = await startTestApp({ database: 'postgres', storage: 'local', ...options });
    h.alice = await h.t.login();
    h.bob = await h.t.login();
    h.fx = await makeFixtures(h);
    h.mark = async () => {
      before = await snapshot(h.t);
    };
  });
  afterAll(() => h.t?.close());

  beforeEach(async () => {
    before = await snapshot(h.t);
  });
  afterEach(async () => {
    // Nothing written by a refused request...
    expect(await snapshot(h.t), 'rows of users, uploads, videos or photos changed').toEqual(before);
    // ...no object the store holds that no ticket or record owns...
    expect(await strayObjects(h.t), 'objects in the store that nothing owns').toEqual([]);
    // ...and the server still answers.
    const alive = await fetch(`${h.t.baseUrl}/login`);
    expect(alive.status).toBe(200);
    await alive.arrayBuffer();
  });
  return h;
}

/** fetch against the app as a browser or a script would, without following redirects. */
export function call(h: Hostile, method: string, url: string, options: CallOptions = {}): Promise<Response> {
  const session = options.session === undefined ? h.alice : options.session;
  const headers: Record<string, string> = {};
  if (session) {
    headers.cookie = session.cookie;
    if (options.csrf !== false) headers['x-csrftoken'] = session.csrf;
  }
  let body: string | Uint8Array<ArrayBuffer> | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (options.contentType) headers['content-type'] = options.contentType;
  Object.assign(headers, options.headers);
  if (options.verbatim) return sendVerbatim(h.t.baseUrl + url, method, headers, body);
  return fetch(h.t.baseUrl + url, { method, redirect: 'manual', headers, body });
}

/** A request whose path goes out exactly as given (fetch normalises dot segments, even encoded ones). */
export function sendVerbatim(url: string, method: string, headers: Record<string, string> = {}, body?: string | Uint8Array): Promise<Response> {
  const { hostname, port } = new URL(url);
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) for (const one of [value ?? []].flat()) answer.append(name, one);
        const status = res.statusCode ?? 0;
        resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: answer }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A refusal of the JSON API: the status, `{error: {code, message}}` and nothing else, a clear message. */
export async function expectApiError(res: Response, status: number, code?: string | RegExp, message?: RegExp): Promise<{ code: string; message: string }> {
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(status);
  expect(res.headers.get('content-type') ?? '', text.slice(0, 200)).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error: { code: unknown; message: unknown } };
  expect(Object.keys(body), text.slice(0, 200)).toEqual(['error']);
  expect(Object.keys(body.error).sort(), text.slice(0, 200)).toEqual(['code', 'message']);
  const error = body.error as { code: string; message: string };
  // A stable snake_case code, not a framework's own (FST_ERR_…).
  expect(error.code).toMatch(/^[a-z][a-z0-9_]*$/);
  if (code) expect(error.code).toMatch(typeof code === 'string' ? new RegExp(`^${code}$`) : code);
  expectClearMessage(error.message);
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** A refusal on a page route: an HTML page with the status, saying what went wrong in words. */
export async function expectPageError(res: Response, status: number, message?: RegExp): Promise<string> {
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^text\/html/);
  expect(text).toMatch(/^<!doctype html>/i);
  const alert = /role="alert"[^>]*>([^<]*)</.exec(text)?.[1] ?? '';
  expectClearMessage(alert);
  if (message) expect(alert).toMatch(message);
  return alert;
}

export function expectClearMessage(message: unknown): void {
  expect(typeof message).toBe('string');
  expect((message as string).trim().length).toBeGreaterThan(5);
  expect(message).not.toMatch(INTERNAL);
}

/** Each tracked table's row count and a digest of every row, so a change to any row shows. */
async function snapshot(t: TestApp): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number; digest: string | null }>`
      SELECT count(*)::int AS n, md5(string_agg(row_text, '|' ORDER BY row_text)) AS digest
      FROM (SELECT t::text AS row_text FROM ${sql.table(table)} t) rows`.execute(t.app.db);
    result[table] = `${rows[0]!.n} rows, ${rows[0]!.digest ?? '-'}`;
  }
  return result;
}

/** Keys in the store (objects and multipart uploads) that no live ticket or record owns. */
async function strayObjects(t: TestApp): Promise<string[]> {
  const uploads = await t.app.db.selectFrom('uploads').select(['key', 'state', 'multipart_id']).execute();
  const owned = new Set(uploads.filter((u) => u.state !== 'aborted').map((u) => u.key));
  for (const table of ['videos', 'photos'] as const) {
    for (const row of await t.app.db.selectFrom(table).select('file_key').execute()) owned.add(row.file_key!);
  }
  for (const row of await t.app.db.selectFrom('videos').select('cover_film').execute()) if (row.cover_film) owned.add(row.cover_film);
  const liveMultipart = new Set(uploads.filter((u) => u.state === 'pending' && u.multipart_id).map((u) => u.multipart_id!));
  const { keys, multipart } = await storeContents(t);
  return [...keys.filter((key) => !owned.has(key)), ...multipart.filter((id) => !liveMultipart.has(id)).map((id) => `multipart upload ${id}`)];
}

async function storeContents(t: TestApp): Promise<{ keys: string[]; multipart: string[] }> {
  const r2 = t.config.r2;
  if (r2) {
    const client = new S3Client({ endpoint: r2.endpoint, region: r2.region, forcePathStyle: r2.forcePathStyle, credentials: { accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey } });
    try {
      const objects = await client.send(new ListObjectsV2Command({ Bucket: r2.bucket }));
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: r2.bucket }));
      return { keys: (objects.Contents ?? []).map((o) => o.Key!), multipart: (uploads.Uploads ?? []).map((u) => u.UploadId!) };
    } finally {
      client.destroy();
    }
  }
  const root = path.join(t.dataDir, 'objects');
  const keys: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (prefix === '' && entry.name === '.airlift') continue;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else keys.push(prefix + entry.name);
    }
  }
  await walk(root, '');
  const multipart = (await readdir(path.join(root, '.airlift', 'multipart')).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{32}$/.test(name));
  return { keys, multipart };
}

// ---- Fixtures ------------------------------------------------------------------------

/** Bodies that open as their declared type (the content check at complete refuses others). */
const bytes = (contentType: string, size: number) => new Uint8Array(mediaBytes(contentType, size));

async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`fixture: expected ${status}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A completed upload of `kind`, its bytes stored. */
export async function completedUpload(h: Hostile, session: Session, kind: string, filename: string, contentType: string, size = 1000): Promise<{ id: string; key: string }> {
  const created = await ok<UploadCreated>(await call(h, 'POST', '/api/v1/uploads', { session, json: { filename, size, content_type: contentType, kind } }), 201);
  await ok(await fetch(created.url!, { method: 'PUT', headers: created.headers, body: bytes(contentType, size) }));
  await ok(await call(h, 'POST', `/api/v1/uploads/${created.id}/complete`, { session, json: { parts: [] } }));
  return { id: created.id, key: created.key };
}

/** A seed ticket whose object is stored. */
export async function seedTicket(h: Hostile, session: Session, filename: string, type: 'video' | 'photo'): Promise<SeedPresigned> {
  const presigned = await ok<SeedPresigned>(await call(h, 'GET', `/api/generate-presigned-url/?filename=${encodeURIComponent(filename)}&type=${type}`, { session }));
  await ok(await fetch(presigned.presigned_url, { method: 'PUT', headers: { 'content-type': presigned.content_type }, body: bytes(presigned.content_type, 500) }));
  return presigned;
}

async function makeFixtures(h: Hostile): Promise<Fixtures> {
  const { alice, bob } = h;
  const saved = async (session: Session, type: 'videos' | 'photos', upload: { id: string; key: string }) => {
    const item = await ok<{ id: number }>(await call(h, 'POST', `/api/v1/${type}`, { session, json: { title: `A ${type}`, upload_id: upload.id } }), 201);
    return { id: item.id, key: upload.key };
  };
  const aliceVideo = await saved(alice, 'videos', await completedUpload(h, alice, 'video', 'a.mp4', 'video/mp4'));
  const alicePhoto = await saved(alice, 'photos', await completedUpload(h, alice, 'photo', 'a.png', 'image/png'));
  const bobVideo = await saved(bob, 'videos', await completedUpload(h, bob, 'video', 'b.mp4', 'video/mp4'));
  return {
    aliceVideo,
    alicePhoto,
    bobVideo,
    aliceVideoUpload: await completedUpload(h, alice, 'video', 'free.mp4', 'video/mp4'),
    alicePhotoUpload: await completedUpload(h, alice, 'photo', 'free.jpg', 'image/jpeg'),
    aliceCoverUpload: await completedUpload(h, alice, 'cover', 'cover.webp', 'image/webp'),
    bobVideoUpload: await completedUpload(h, bob, 'video', 'bobs.mp4', 'video/mp4'),
    alicePending: await ok<UploadCreated>(await call(h, 'POST', '/api/v1/uploads', { json: { filename: 'later.mp4', size: 2000, content_type: 'video/mp4', kind: 'video' } }), 201),
    alicePendingPhoto: await ok<UploadCreated>(await call(h, 'POST', '/api/v1/uploads', { json: { filename: 'later.png', size: 2000, content_type: 'image/png', kind: 'photo' } }), 201),
    aliceMultipart: await ok<UploadCreated>(
      await call(h, 'POST', '/api/v1/uploads', { json: { filename: 'big.mp4', size: 15 * MiB, content_type: 'video/mp4', kind: 'video', part_size: 5 * MiB } }),
      201,
    ),
    aliceSeedVideo: await seedTicket(h, alice, 'seed.mp4', 'video'),
    aliceSeedPhoto: await seedTicket(h, alice, 'seed.jpg', 'photo'),
    bobSeedVideo: await seedTicket(h, bob, 'bobseed.mp4', 'video'),
  };
}

/** Characters no text field may hold, each with a name for the case that sends it. */
export const BAD_CHARACTERS: [name: string, char: string][] = [
  ['a NUL byte', '\u0000'],
  ['a lone high surrogate', '\uD800'],
  ['a lone low surrogate', '\uDFFF'],
  ['a right-to-left override', '\u202E'],
  ['a bell (C0 control)', '\u0007'],
  ['an escape (C0 control)', '\u001B'],
  ['a DEL', '\u007F'],
  ['a C1 control', '\u0085'],
];
