/**
 * The engine in Node against the real app (test/harness.ts): real routes, real database,
 * the local store and the S3 driver on the real S3 test server. Only the transport is
 * wrapped, to count bytes or to inject failures the way a bad network would.
 */
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Session, type TestApp } from '../../test/harness.ts';
import { settled } from '../../test/settled.ts';
import { heldBytesOf } from '../storage/driver.ts';
import { DEFAULT_PART_SIZE, SINGLE_PUT_MAX } from '../shared/plan.ts';
import { ApiClient } from './api.ts';
import { alwaysOnline } from './connectivity.ts';
import { LinkMeter } from './link-meter.ts';
import { CPU_PLAN_RATE } from './link-plan.ts';
import { createUploader, type FileState, type ProgressSnapshot, type Uploader, type UploaderOptions } from './engine.ts';
import { Interruption, NetworkError, UploadFailed } from './errors.ts';
import { fetchTransport } from './fetch-transport.ts';
import { MemoryResumeStore, resumeKey } from './resume-store.ts';
import type { PutResult, Transport } from './transport.ts';
import { MEDIA_TYPES } from '../../test/media-bytes.ts';
import { writeRandomFile } from '../../test/random-file.ts';

const MiB = 1024 * 1024;
/**
 * The server's part size; files above SINGLE_PUT_MAX go in parts of it on S3
 * (src/uploads/rules.ts). The local store takes them in one PUT that resumes where it was cut.
 */
const PART = DEFAULT_PART_SIZE;
/** Short waits between retries: the schedule itself is unit-tested in retry.test.ts. */
const FAST_RETRY = { retries: 5, baseDelayMs: 20, maxDelayMs: 200 };

interface TestFile {
  blob: Blob;
  filename: string;
  lastModified: number;
  sha256: string;
}

let dir: string;
let big: TestFile;
/** Five parts: four whole ones and a small last one. */
let medium: TestFile;
/** One PUT of the whole file, unless it fails. */
let single: TestFile;

/** A file that opens as `type` (then random bytes), written to disk chunk by chunk and read back as a file-backed Blob: one copy, on disk. */
async function randomFile(filename: string, size: number, type = 'video/mp4'): Promise<TestFile> {
  const file = path.join(dir, filename);
  // A type the tests' media openings do not know (one the server refuses anyway) gets plain random bytes.
  const sha256 = await writeRandomFile(file, size, MEDIA_TYPES.includes(type) ? type : undefined);
  return { blob: await openAsBlob(file, { type }), filename, lastModified: (await stat(file)).mtimeMs, sha256 };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-engine-'));
  big = await randomFile('big.mp4', 300 * 1024 * 1024 + 12345);
  medium = await randomFile('medium.mp4', SINGLE_PUT_MAX + 5 * MiB);
  single = await randomFile('single.mp4', PART + 36 * MiB);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Counts the bytes of the PUTs the store accepted. */
function counting(inner: Transport) {
  const counts = { puts: 0, bytes: 0 };
  const transport: Transport = {
    async put(url, headers, body, onProgress, signal) {
      const result = await inner.put(url, headers, body, onProgress, signal);
      if (result.status < 300) {
        counts.puts += 1;
        counts.bytes += body.size;
      }
      return result;
    },
  };
  return { transport, counts };
}

/**
 * Fails every `period`-th PUT before anything is sent, alternately as a lost connection and
 * as a 500, and sends the first part PUT with a forged signature, which the store refuses
 * with 403 as it does an expired one.
 */
function flaky(inner: Transport, period: number) {
  const log = { puts: 0, networkErrors: 0, serverErrors: 0, forgedStatus: 0 };
  const transport: Transport = {
    async put(url, headers, body, onProgress, signal): Promise<PutResult> {
      log.puts += 1;
      if (log.puts % period === 0) {
        if ((log.networkErrors + log.serverErrors) % 2 === 0) {
          log.networkErrors += 1;
          throw new NetworkError('Injected: connection reset.');
        }
        log.serverErrors += 1;
        return { status: 500, etag: null };
      }
      if (!log.forgedStatus && /[?&](part|partNumber)=/.test(url)) {
        const result = await inner.put(forgeSignature(url), headers, body, onProgress, signal);
        log.forgedStatus = result.status;
        return result;
      }
      return inner.put(url, headers, body, onProgress, signal);
    },
  };
  return { transport, log };
}

function forgeSignature(url: string): string {
  const parsed = new URL(url);
  const name = ['signature', 'X-Amz-Signature'].find((param) => parsed.searchParams.has(param));
  if (!name) throw new Error(`No signature parameter in ${url}`);
  const signature = parsed.searchParams.get(name)!;
  parsed.searchParams.set(name, signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
  return parsed.toString();
}

/** Runs `action` once, as soon as the first part is stored, and waits for what it returns. */
async function afterFirstPart(uploader: Uploader, action: () => unknown): Promise<void> {
  let done!: Promise<unknown>;
  await new Promise<void>((resolve) => {
    const off = uploader.on('progress', ({ overall }) => {
      if (overall.partsDone < 1) return;
      off();
      done = Promise.resolve(action());
      resolve();
    });
  });
  await done;
}

describe.each([
  { storage: 'local', database: 'pglite' },
  { storage: 's3', database: 'postgres' },
] as const)('upload engine on $storage storage', (setup) => {
  let t: TestApp;
  let session: Session;

  beforeAll(async () => {
    t = await startTestApp(setup);
    session = await t.login();
  });
  afterAll(() => t?.close());

  const apiClient = (fetchImpl?: typeof fetch) =>
    new ApiClient({ baseUrl: t.baseUrl, headers: () => ({ Cookie: session.cookie, 'X-CSRFToken': session.csrf }), fetch: fetchImpl });

  /** A link remembered at `bytesPerSecond`, as a returning user's page has it; what the engine measures is not written. */
  const measuredLink = (bytesPerSecond: number) => new LinkMeter({ getItem: () => JSON.stringify({ bytesPerSecond, at: Date.now() }), setItem: () => undefined });
  /** A fast link's measure (400 Mbit/s): the plan these tests of the server's 64 MiB parts expect. */
  const fastLink = () => measuredLink(CPU_PLAN_RATE);

  function uploaderWith(options: Partial<UploaderOptions> = {}) {
    const api = options.api ?? apiClient();
    return { api, uploader: createUploader({ api, transport: fetchTransport(), retry: FAST_RETRY, link: fastLink(), ...options }) };
  }

  /** For the tests of parts: on the local store the engine must ask for them. */
  const IN_PARTS: Partial<UploaderOptions> = setup.storage === 'local' ? { partSize: PART } : {};

  const add = (uploader: Uploader, file: TestFile, kind: 'video' | 'photo' | 'cover' = 'video') =>
    uploader.add(file.blob, { kind, filename: file.filename, lastModified: file.lastModified });

  /**
   * SHA-256 of the stored object, read back through a signed GET as a stream. The object is
   * then deleted: the S3 test server keeps its data in RAM, and the tests' files add up.
   */
  async function storedSha256(key: string): Promise<string> {
    const response = await fetch(await t.app.storage.presignGet(key, { expiresIn: 600 }));
    expect(response.status).toBe(200);
    const hash = createHash('sha256');
    const reader = response.body!.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) hash.update(chunk.value);
    await t.app.storage.delete(key);
    return hash.digest('hex');
  }

  it('uploads a 300 MB file in parts, byte for byte, with progress derived from the parts', async () => {
    const { uploader, api } = uploaderWith(IN_PARTS);
    const statuses: FileState['status'][] = [];
    const progress: ProgressSnapshot[] = [];
    uploader.on('state', ({ state }) => statuses.push(state.status));
    uploader.on('progress', ({ overall }) => progress.push(overall));

    const result = await add(uploader, big).done;

    expect(result).toMatchObject({ size: big.blob.size, content_type: 'video/mp4', state: 'completed' });
    expect(await storedSha256(result.key)).toBe(big.sha256);
    expect((await api.getUpload(result.id)).strategy).toBe('multipart');
    expect(statuses).toEqual(['queued', 'uploading', 'completing', 'completed']);
    const loaded = progress.map((p) => p.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ loaded: big.blob.size, total: big.blob.size, percent: 100, partsDone: 5, partCount: 5 });
  });

  it.runIf(setup.storage === 's3')('sends the 300 MB file in one PUT on a link where the CPU limits parts (loopback, measured at 8 Gbit/s)', async () => {
    const { uploader, api } = uploaderWith({ link: measuredLink(1e9) });
    const result = await add(uploader, big).done;
    expect(await api.getUpload(result.id)).toMatchObject({ strategy: 'single', part_count: 1, state: 'completed' });
    expect(await storedSha256(result.key)).toBe(big.sha256);
  });

  it('pauses without losing stored parts and resumes without sending a byte twice', async () => {
    const { transport, counts } = counting(fetchTransport());
    const { uploader, api } = uploaderWith({ ...IN_PARTS, transport, concurrency: 1 });
    const upload = add(uploader, medium);
    await afterFirstPart(uploader, () => upload.pause());
    expect(upload.state.status).toBe('paused');
    const stored = await api.getUpload(upload.uploadId!);
    expect(stored.parts.map((part) => part.part_number)).toEqual([1]);

    upload.resume();
    const result = await upload.done;
    expect(await storedSha256(result.key)).toBe(medium.sha256);
    expect(counts).toEqual({ puts: 5, bytes: medium.blob.size });
  });

  it('resumes after a reload from the parts the server holds, sending only the missing ones', async () => {
    const resumeStore = new MemoryResumeStore();
    const before = uploaderWith({ ...IN_PARTS, resumeStore, concurrency: 1 }).uploader;
    const first = add(before, medium);
    await afterFirstPart(before, () => first.pause());
    before.destroy(); // the page goes away with everything in memory

    const { transport, counts } = counting(fetchTransport());
    const after = uploaderWith({ ...IN_PARTS, resumeStore, transport }).uploader;
    const states: FileState[] = [];
    after.on('state', ({ state }) => states.push(state));
    const again = add(after, medium);
    const result = await again.done;

    expect(again.uploadId).toBe(first.uploadId);
    expect(states).toContainEqual({ status: 'uploading', resumedBytes: PART });
    expect(counts).toEqual({ puts: 4, bytes: medium.blob.size - PART });
    expect(await storedSha256(result.key)).toBe(medium.sha256);
    expect(await resumeStore.get(resumeKey({ kind: 'video', ...medium, size: medium.blob.size }))).toBeUndefined();

    // The page died after the server completed but before it forgot the upload: the same file again finds it done.
    await resumeStore.set(resumeKey({ kind: 'video', ...medium, size: medium.blob.size }), {
      uploadId: result.id,
      filename: medium.filename,
      size: medium.blob.size,
      lastModified: medium.lastModified,
      kind: 'video',
      partSize: PART,
    });
    const recount = counting(fetchTransport());
    const third = uploaderWith({ ...IN_PARTS, resumeStore, transport: recount.transport }).uploader;
    expect(await add(third, medium).done).toEqual(result);
    expect(recount.counts.puts).toBe(0);
  });

  it('cancels: the upload is aborted on the server and nothing stays in the store', async () => {
    const { uploader, api } = uploaderWith({ ...IN_PARTS, concurrency: 1 });
    const upload = add(uploader, medium);
    await afterFirstPart(uploader, () => upload.cancel());

    expect(upload.state.status).toBe('cancelled');
    await expect(upload.done).rejects.toBeInstanceOf(Interruption);
    const state = await api.getUpload(upload.uploadId!);
    expect(state.state).toBe('aborted');
    expect(await t.app.storage.head(state.key)).toBeNull();
    const row = await t.app.db.selectFrom('uploads').select('multipart_id').where('id', '=', state.id).executeTakeFirstOrThrow();
    await expect(t.app.storage.listParts(state.key, row.multipart_id!)).rejects.toMatchObject({ code: 'no_such_upload' });
  });

  it('completes with every byte right when one PUT in ten fails and a part URL is refused', async () => {
    const { transport, log } = flaky(fetchTransport(), 10);
    const { uploader } = uploaderWith({ ...IN_PARTS, transport });
    const retries: FileState[] = [];
    uploader.on('state', ({ state }) => {
      if (state.status === 'retrying') retries.push(state);
    });
    // One multipart file and seventeen single PUTs: twenty-two part PUTs, and the retries on top.
    const smalls = await Promise.all(Array.from({ length: 17 }, (_, i) => randomFile(`small-${setup.storage}-${i}.jpg`, MiB + i, 'image/jpeg')));
    const uploads = [add(uploader, medium), ...smalls.map((file) => add(uploader, file, 'photo'))];
    const results = await Promise.all(uploads.map((upload) => upload.done));

    expect(log.forgedStatus).toBe(403);
    expect(log.networkErrors).toBeGreaterThanOrEqual(1);
    expect(log.serverErrors).toBeGreaterThanOrEqual(1);
    expect(retries.map((state) => state.status === 'retrying' && state.reason)).toEqual(expect.arrayContaining(['network', 'server']));
    const expected = [medium, ...smalls].map((file) => file.sha256);
    expect(await Promise.all(results.map((result) => storedSha256(result.key)))).toEqual(expected);
  });

  // On the local store a failed whole-file PUT goes on from the bytes the store kept (below).
  it.skipIf(setup.storage === 'local')('sends a file in parts once its whole-file PUT failed, and aborts that first upload', async () => {
    const { transport, counts } = counting(fetchTransport());
    let failed = 0;
    const failingFirst: Transport = {
      async put(url, headers, body, onProgress, signal) {
        if (failed++ === 0) {
          onProgress(body.size / 2);
          throw new NetworkError('Injected: connection reset half-way.');
        }
        return transport.put(url, headers, body, onProgress, signal);
      },
    };
    const resumeStore = new MemoryResumeStore();
    const { uploader, api } = uploaderWith({ transport: failingFirst, resumeStore });
    const percents: number[] = [];
    uploader.on('progress', ({ overall }) => percents.push(overall.percent));
    const upload = add(uploader, single);
    const result = await upload.done;

    expect(await storedSha256(result.key)).toBe(single.sha256);
    expect(await api.getUpload(result.id)).toMatchObject({ strategy: 'multipart', part_size: PART, part_count: 2, state: 'completed' });
    expect(counts).toEqual({ puts: 2, bytes: single.blob.size });
    const uploads = await t.app.db.selectFrom('uploads').select(['id', 'strategy', 'state', 'key']).where('filename', '=', single.filename).orderBy('created_at').execute();
    expect(uploads.map((u) => [u.strategy, u.state])).toEqual([
      ['single', 'aborted'],
      ['multipart', 'completed'],
    ]);
    expect(await t.app.storage.head(uploads[0]!.key)).toBeNull();
    expect(percents.at(-1)).toBe(100);
    expect(await resumeStore.get(resumeKey({ kind: 'video', ...single, size: single.blob.size }))).toBeUndefined();
  });

  it('sends a file in parts when a proxy in front of the store refuses its whole-file PUT as too large', async () => {
    const { transport, counts } = counting(fetchTransport());
    const LIMIT = 80 * MiB;
    const behindProxy: Transport = {
      async put(url, headers, body, onProgress, signal) {
        // As nginx's client_max_body_size answers, from the Content-Length, before any byte is read.
        if (body.size > LIMIT) return { status: 413, etag: null, error: { code: '', message: 'Request Entity Too Large' } };
        return transport.put(url, headers, body, onProgress, signal);
      },
    };
    const { uploader, api } = uploaderWith({ transport: behindProxy });
    const result = await add(uploader, single).done;

    expect(await storedSha256(result.key)).toBe(single.sha256);
    expect(await api.getUpload(result.id)).toMatchObject({ strategy: 'multipart', part_size: PART, part_count: 2, state: 'completed' });
    expect(counts).toEqual({ puts: 2, bytes: single.blob.size });
    const uploads = await t.app.db.selectFrom('uploads').select(['strategy', 'state']).where('filename', '=', single.filename).orderBy('created_at').execute();
    expect(uploads.slice(-2)).toEqual([
      { strategy: 'single', state: 'aborted' },
      { strategy: 'multipart', state: 'completed' },
    ]);
  });

  it('goes on at once when the machine wakes from sleep, not at the end of a retry’s backoff', async () => {
    const file = await randomFile(`wake-${setup.storage}.mp4`, 11 * MiB);
    const wakes: (() => void)[] = [];
    const connectivity = { ...alwaysOnline, onWake: (listener: () => void) => (wakes.push(listener), () => undefined) };
    const puts: number[] = [];
    let asleep = true;
    const inner = fetchTransport();
    // No `reach`: only the wake can end the waits. Every PUT dies while the laptop sleeps.
    const sleeping: Transport = {
      async put(url, headers, body, onProgress, signal) {
        puts.push(performance.now());
        if (asleep) throw new NetworkError('Injected: the laptop slept.');
        return inner.put(url, headers, body, onProgress, signal);
      },
    };
    // Backoffs of up to ten minutes: without the wake the retries would come long after the test's timeout.
    const { uploader } = uploaderWith({ transport: sleeping, connectivity, partSize: 5 * MiB, retry: { retries: 3, baseDelayMs: 600_000, maxDelayMs: 600_000 } });
    const waiting = new Promise<void>((resolve) => uploader.on('state', ({ state }) => state.status === 'retrying' && resolve()));
    const upload = add(uploader, file);
    await waiting;
    await sleep(300);
    const failed = puts.length;
    expect(failed).toBeGreaterThan(0);
    expect(wakes).toHaveLength(1);
    asleep = false;
    const wokeAt = performance.now();
    wakes[0]!();
    const result = await upload.done;

    const again = puts.slice(failed);
    expect(again.length).toBeGreaterThanOrEqual(failed);
    expect(again.every((at) => at >= wokeAt)).toBe(true);
    expect(again[0]! - wokeAt).toBeLessThan(2000);
    expect(await storedSha256(result.key)).toBe(file.sha256);
  });

  /** The local store's key in one of its signed URLs. */
  const keyOf = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\/store\//, ''));
  const uploadsOf = (file: TestFile) => t.app.db.selectFrom('uploads').select(['id', 'strategy', 'state']).where('filename', '=', file.filename).execute();
  /** Waits until `check` holds, polling. */
  async function until(check: () => Promise<boolean>): Promise<void> {
    while (!(await check())) await sleep(10);
  }

  it.runIf(setup.storage === 'local')('goes on from the bytes the store kept when a whole-file PUT is cut half-way, in the same upload', async () => {
    const { transport, counts } = counting(fetchTransport());
    const ranges: (string | undefined)[] = [];
    const cutHalfWay: Transport = {
      async put(url, headers, body, onProgress, signal) {
        ranges.push(headers['Content-Range']);
        if (ranges.length > 1) return transport.put(url, headers, body, onProgress, signal);
        // The connection drops once the store holds half the file.
        const cut = new AbortController();
        const watching = until(async () => cut.signal.aborted || (await heldBytesOf(t.app.storage, keyOf(url))) >= body.size / 2).then(() =>
          cut.abort(new NetworkError('Injected: connection cut half-way.')),
        );
        try {
          return await transport.put(url, headers, body, onProgress, AbortSignal.any([signal, cut.signal]));
        } finally {
          cut.abort();
          await watching;
        }
      },
    };
    const earlier = (await uploadsOf(big)).length;
    const { uploader, api } = uploaderWith({ transport: cutHalfWay });
    const statuses: FileState['status'][] = [];
    uploader.on('state', ({ state }) => statuses.push(state.status));
    const result = await add(uploader, big).done;

    expect(await storedSha256(result.key)).toBe(big.sha256);
    expect(await api.getUpload(result.id)).toMatchObject({ strategy: 'single', resumable_put: true, state: 'completed', held_bytes: 0 });
    expect(await uploadsOf(big)).toHaveLength(earlier + 1);
    expect(statuses).toContain('retrying');
    // The second PUT sent only what the store lacked.
    expect(ranges).toHaveLength(2);
    const from = Number(/^bytes (\d+)-(\d+)\/(\d+)$/.exec(ranges[1] ?? '')?.[1]);
    expect(ranges[1]).toBe(`bytes ${from}-${big.blob.size - 1}/${big.blob.size}`);
    expect(from).toBeGreaterThanOrEqual(big.blob.size / 2);
    expect(counts).toEqual({ puts: 1, bytes: big.blob.size - from });
  });

  it.runIf(setup.storage === 'local')('after a reload mid-PUT, the same file goes on from the bytes the store kept', async () => {
    const resumeStore = new MemoryResumeStore();
    const { uploader: before, api } = uploaderWith({ resumeStore });
    const first = add(before, big);
    await until(async () => first.uploadId !== null && (await api.getUpload(first.uploadId)).held_bytes >= big.blob.size / 3);
    first.pause();
    before.destroy(); // the page goes away with everything in memory
    // The store writes what had arrived, then lets the body go.
    const held = await settled(async () => (await api.getUpload(first.uploadId!)).held_bytes, 20);

    const { transport, counts } = counting(fetchTransport());
    const after = uploaderWith({ resumeStore, transport }).uploader;
    const states: FileState[] = [];
    after.on('state', ({ state }) => states.push(state));
    const again = add(after, big);
    const result = await again.done;

    expect(again.uploadId).toBe(first.uploadId);
    expect(held).toBeGreaterThanOrEqual(big.blob.size / 3);
    expect(states).toContainEqual({ status: 'uploading', resumedBytes: held });
    expect(counts).toEqual({ puts: 1, bytes: big.blob.size - held });
    expect(await storedSha256(result.key)).toBe(big.sha256);
    expect(await resumeStore.get(resumeKey({ kind: 'video', ...big, size: big.blob.size }))).toBeUndefined();
  });

  it('with part checksums, the store refuses a part altered on the way, and the engine sends it again', async () => {
    let altered = 0;
    const inner = fetchTransport();
    const corrupting: Transport = {
      async put(url, headers, body, onProgress, signal) {
        if (altered > 0) return inner.put(url, headers, body, onProgress, signal);
        altered += 1;
        const bytes = new Uint8Array(await body.arrayBuffer());
        bytes[bytes.length >> 1]! ^= 0xff; // one bit flipped on the way, the size unchanged
        return inner.put(url, headers, new Blob([bytes]), onProgress, signal);
      },
    };
    const { uploader } = uploaderWith({ ...IN_PARTS, transport: corrupting, partChecksums: true });
    const reasons: string[] = [];
    uploader.on('state', ({ state }) => {
      if (state.status === 'retrying') reasons.push(state.reason);
    });
    const result = await add(uploader, medium).done;
    expect(altered).toBe(1);
    expect(reasons).toEqual(['checksum']);
    expect(await storedSha256(result.key)).toBe(medium.sha256);
  });

  it('retries a completion whose answer was lost, and gets the same completed upload', async () => {
    let cut = 0;
    const losingFirstCompletion: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/complete') && cut++ === 0) {
        await response.arrayBuffer(); // the server did complete; only the answer is lost
        throw new TypeError('fetch failed');
      }
      return response;
    };
    const { uploader } = uploaderWith({ api: apiClient(losingFirstCompletion) });
    const small = await randomFile(`lost-answer-${setup.storage}.mp4`, 3 * MiB);
    const result = await add(uploader, small).done;
    expect(cut).toBe(2);
    expect(await storedSha256(result.key)).toBe(small.sha256);
  });

  it('fails at once with the server’s message on a refusal that cannot heal', async () => {
    const { uploader } = uploaderWith();
    const exe = await randomFile(`setup-${setup.storage}.exe`, MiB, 'application/x-msdownload');
    const upload = add(uploader, exe);
    const failure = await upload.done.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailed);
    expect(failure).toMatchObject({ healable: false, message: expect.stringMatching(/application\/x-msdownload are not accepted as a video/) });
    expect(upload.state).toEqual({ status: 'failed', message: (failure as Error).message });
  });
});
