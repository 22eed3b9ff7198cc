/**
 * The benchmark's page script: bundled by bench/run.ts with esbuild and added to a page of
 * the running app, it exposes `window.airliftBench` (see page-api.ts). Each uploader is
 * wired as a site would wire it, at its defaults.
 */
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import { Upload as TusUpload } from 'tus-js-client';
import { ApiClient, csrfHeader } from '../src/client/api.ts';
import { browserConnectivity } from '../src/client/connectivity.ts';
import { createUploader, UPLOADER_DEFAULTS } from '../src/client/engine.ts';
import { WebStorageResumeStore } from '../src/client/resume-store.ts';
import { xhrTransport } from '../src/client/xhr-transport.ts';
import { LINK_KEY, LinkMeter } from '../src/client/link-meter.ts';
import type { CreateUploadBody, UploadCreated } from '../src/shared/api.ts';
import type { BenchPage, EngineOutcome } from './page-api.ts';

const MiB = 1024 ** 2;

function fileIn(inputId: string): File {
  const input = document.getElementById(inputId) as HTMLInputElement | null;
  const file = input?.files?.[0];
  if (!file) throw new Error(`No file chosen in #${inputId}`);
  return file;
}

/**
 * Airlift's API client as the pages make it, counting its calls and the time spent waiting
 * for them (by method and path: create, sign, complete), and keeping the plan the server chose.
 */
class CountingApi extends ApiClient {
  calls = 0;
  readonly ms: Record<string, number> = {};
  created: UploadCreated | null = null;

  constructor() {
    super({
      headers: () => csrfHeader(document.cookie),
      fetch: async (input, init) => {
        this.calls += 1;
        const started = performance.now();
        try {
          return await fetch(input, init);
        } finally {
          const what = `${init?.method ?? 'GET'} ${String(input).replace(/\/[0-9a-f-]{36}/, '/:id')}`;
          this.ms[what] = (this.ms[what] ?? 0) + performance.now() - started;
        }
      },
    });
  }

  override async createUpload(body: CreateUploadBody, options?: { signal?: AbortSignal }): Promise<UploadCreated> {
    this.created = await super.createUpload(body, options);
    return this.created;
  }
}

// ---- Uppy: its Companion protocol, answered in the page by Airlift's API ------------------

/**
 * @uppy/aws-s3 6 talks to a signing backend in one of three ways; the Companion protocol is
 * the one that lets the backend create and complete the multipart upload, as Airlift's API
 * does. These requests never leave the page: `fetch` hands them to this adapter, which makes
 * the matching call to Airlift's API (create → POST /api/v1/uploads with Uppy's own chunk
 * size as `part_size`, sign part → POST …/parts, list → GET, complete → POST …/complete,
 * abort → DELETE).
 */
const COMPANION = `${location.origin}/__uppy-companion`;
let companion: { api: CountingApi; file: File; partSize: number } | null = null;

/** The chunk size @uppy/aws-s3 6 uses by default (S3Uploader: size / 10,000, at least 5 MiB). */
export function uppyDefaultChunkSize(size: number): number {
  let chunkSize = Math.max(Math.ceil(size / 10_000), 5 * MiB);
  if (Math.ceil(size / chunkSize) > 10_000) chunkSize = Math.ceil(size / 10_000);
  return chunkSize;
}

async function answerCompanion(url: URL, init: RequestInit | undefined): Promise<Response> {
  if (!companion) throw new Error('No Uppy upload is running');
  const { api, file } = companion;
  const method = (init?.method ?? 'GET').toUpperCase();
  const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
  const path = url.pathname.slice(new URL(COMPANION).pathname.length).split('/').filter(Boolean).map(decodeURIComponent);
  const json = (value: unknown) => new Response(JSON.stringify(value), { status: 200, headers: { 'Content-Type': 'application/json' } });
  // path: ['s3', 'multipart', uploadId?, partNumber | 'complete'?]
  if (path[0] !== 's3' || path[1] !== 'multipart') throw new Error(`Unexpected Companion call ${method} ${url.pathname}`);
  const [, , uploadId, last] = path;
  if (method === 'POST' && uploadId === undefined) {
    const created = await api.createUpload({
      filename: String(body.filename),
      size: file.size,
      content_type: String(body.type || file.type),
      kind: 'video',
      part_size: companion.partSize,
    });
    return json({ key: created.key, uploadId: created.id });
  }
  if (uploadId === undefined) throw new Error(`Unexpected Companion call ${method} ${url.pathname}`);
  if (method === 'GET' && last !== undefined) {
    const [part] = await api.signParts(uploadId, { part_numbers: [Number(last)] });
    return json({ url: part!.url, headers: part!.headers });
  }
  if (method === 'GET') {
    const state = await api.getUpload(uploadId);
    return json(state.parts.map((part) => ({ PartNumber: part.part_number, ETag: part.etag, Size: part.size })));
  }
  if (method === 'POST' && last === 'complete') {
    const parts = (body.parts as { PartNumber: number; ETag: string }[]).map((part) => ({ part_number: part.PartNumber, etag: part.ETag }));
    const completed = await api.completeUpload(uploadId, { parts });
    return json({ location: completed.key, key: completed.key });
  }
  if (method === 'DELETE') {
    await api.abortUpload(uploadId);
    return json({});
  }
  throw new Error(`Unexpected Companion call ${method} ${url.pathname}`);
}

const pageFetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return url.startsWith(`${COMPANION}/`) ? answerCompanion(new URL(url), init) : pageFetch(input, init);
};

// ---- the page's API ------------------------------------------------------------------------

const bench: BenchPage = {
  async engine(inputId, { concurrency, partSize }) {
    const file = fileIn(inputId);
    // A record left by an earlier upload of the same file would make this one a resume; the link's measure stays, as in the app's pages.
    for (const key of Object.keys(localStorage)) if (key !== LINK_KEY) localStorage.removeItem(key);
    const api = new CountingApi();
    const uploader = createUploader({
      api,
      partSize,
      transport: xhrTransport,
      resumeStore: new WebStorageResumeStore(localStorage),
      connectivity: browserConnectivity(),
      link: new LinkMeter(localStorage),
      concurrency,
    });
    const started = performance.now();
    const result = await uploader.add(file, { kind: 'video' }).done;
    const ms = performance.now() - started;
    uploader.destroy();
    const plan = api.created!;
    if (result.size !== file.size) throw new Error(`The engine stored ${result.size} bytes of ${file.size}`);
    return {
      ms,
      apiCalls: api.calls,
      apiMs: api.ms,
      key: result.key,
      strategy: plan.strategy,
      partSize: plan.part_size,
      partCount: plan.part_count,
      concurrency: concurrency ?? UPLOADER_DEFAULTS.concurrency,
    } satisfies EngineOutcome;
  },

  xhrPut(inputId, url, headers) {
    const file = fileIn(inputId);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'host') xhr.setRequestHeader(name, value);
      let started = 0;
      xhr.onload = () => {
        const ms = performance.now() - started;
        if (xhr.status >= 200 && xhr.status < 300) resolve({ ms });
        else reject(new Error(`The PUT answered ${xhr.status}: ${xhr.responseText.slice(0, 300)}`));
      };
      xhr.onerror = () => reject(new Error('The PUT failed on the network'));
      started = performance.now();
      xhr.send(file);
    });
  },

  async uppy(inputId) {
    const file = fileIn(inputId);
    const api = new CountingApi();
    const partSize = uppyDefaultChunkSize(file.size);
    companion = { api, file, partSize };
    const uppy = new Uppy();
    // Uppy sends files up to 100 MiB as an S3 POST policy, which Airlift (like R2) does not sign: always in parts, as larger files go at its defaults.
    uppy.use(AwsS3, { companionEndpoint: COMPANION, shouldUseMultipart: true });
    uppy.addFile({ name: file.name, type: file.type, data: file });
    try {
      const started = performance.now();
      const result = await uppy.upload();
      const ms = performance.now() - started;
      const done = result?.successful?.[0];
      if (!done || result.failed?.length) throw new Error(`Uppy failed: ${result?.failed?.[0]?.error ?? 'no result'}`);
      return { ms, apiCalls: api.calls, apiMs: api.ms, key: api.created!.key, partSize };
    } finally {
      uppy.destroy();
      companion = null;
    }
  },

  async xhrPutRestarting(inputId, url, headers) {
    const started = performance.now();
    let restarts = 0;
    for (;;) {
      try {
        await bench.xhrPut(inputId, url, headers);
        return { ms: performance.now() - started, restarts };
      } catch {
        // What the seed's page does, by hand: choose the file again and send it from its first byte.
        restarts += 1;
        if (restarts > 50) throw new Error('The whole-file PUT failed 50 times');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  },

  tus(inputId, endpoint) {
    const file = fileIn(inputId);
    return new Promise((resolve, reject) => {
      let started = 0;
      const upload = new TusUpload(file, {
        endpoint,
        metadata: { filename: file.name, filetype: file.type },
        onSuccess: () => resolve({ ms: performance.now() - started, url: upload.url! }),
        onError: reject,
      });
      started = performance.now();
      upload.start();
    });
  },
};

window.airliftBench = bench;
