/**
 * kill -9 of a served app mid-upload and mid-complete, on both stacks (PGlite and the local
 * store; PostgreSQL and the S3 test server), then a restart on the same data: the page,
 * reloaded, finds its upload (going on from what the store holds, or already completed) and
 * finishes it. Counted: bytes lost 0 (the stored object's sha-256 is the file's), records
 * without objects 0, store uploads no ticket is waiting for 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MemoryResumeStore } from '../../src/client/resume-store.ts';
import type { Uploader } from '../../src/client/engine.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/index.ts';
import { createStorage } from '../../src/storage/index.ts';
import { TcpProxy, type ProxiedRequest } from '../cut-proxy.ts';
import { freePort, freshPostgres, loginAs } from '../harness.ts';
import { createBucket, deleteBucket } from '../s3-server.ts';
import { addVideo, airlift, serveProcess, sha256Of, slowTransport, uploaderFor, videoFile, type Served } from './served.ts';

const MiB = 1024 * 1024;
const PASSWORD = 'a long enough password';

describe.each(['local', 's3'] as const)('kill -9 on the %s stack', { timeout: 240_000 }, (stack) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('mid-upload and mid-complete: after a restart the reloaded page finishes every upload, nothing lost', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const appPort = await freePort();
    const env: Record<string, string> = { DATA_DIR: path.join(dir, 'data'), PORT: String(appPort), HOST: '127.0.0.1' };
    // The proxy stands where the complete goes to the store: in front of the app on the local store (it is the store), of the gateway on S3.
    let proxy: TcpProxy;
    let baseUrl: string;
    const proxyPort = await freePort();
    if (stack === 's3') {
      const s3 = inject('s3');
      const bucket = `airlift-crash-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
      await createBucket(s3.config, bucket);
      cleanups.push(() => deleteBucket(s3.config, bucket));
      const postgres = await freshPostgres();
      cleanups.push(postgres.drop);
      proxy = new TcpProxy(Number(new URL(s3.env.R2_ENDPOINT_URL).port));
      Object.assign(env, s3.env, { R2_BUCKET_NAME: bucket, R2_ENDPOINT_URL: `http://127.0.0.1:${proxyPort}`, DATABASE_URL: postgres.url });
      baseUrl = `http://127.0.0.1:${appPort}`;
    } else {
      proxy = new TcpProxy(appPort);
      baseUrl = `http://127.0.0.1:${proxyPort}`;
    }
    env.PUBLIC_BASE_URL = baseUrl;
    await proxy.open(proxyPort);
    cleanups.push(() => proxy.close());
    await airlift(['user', 'create', '--email', 'editor@example.com', '--password-stdin'], env, `${PASSWORD}\n`);
    let server: Served = serveProcess(env);
    cleanups.push(async () => server.child.kill('SIGKILL'));
    await server.ready;
    const session = await loginAs(baseUrl, 'editor@example.com', PASSWORD);
    const restart = async () => {
      server = serveProcess(env);
      await server.ready;
    };
    const killed = async () => {
      server.child.kill('SIGKILL');
      expect(await server.exited).toBeNull();
    };
    const resumeStore = new MemoryResumeStore();
    // Parts of 5 MiB on the S3 stack; the local store takes a file in one PUT that keeps what arrived.
    const partSize = stack === 's3' ? 5 * MiB : undefined;
    // A reload: the page goes away, and with it every request and retry of its uploads (paused,
    // as a closed page stops), then a new page finds them in the resume store. A page left
    // running would race the new one on the same object, which no browser does.
    const reloaded = (uploader: Uploader, parts = partSize) => {
      uploader.pause();
      uploader.destroy();
      return uploaderFor(baseUrl, session, resumeStore, { partSize: parts });
    };

    // 1. kill -9 while the bytes go.
    const first = await videoFile(path.join(dir, 'first.mp4'), 26 * MiB + 123);
    let page = uploaderFor(baseUrl, session, resumeStore, { partSize, transport: slowTransport(4 * MiB) });
    const sending = addVideo(page, first);
    await new Promise<void>((resolve) => {
      const off = page.on('progress', ({ overall }) => {
        if (overall.loaded < 8 * MiB) return;
        off();
        resolve();
      });
    });
    await killed();
    page = reloaded(page);
    await restart();
    const firstDone = await addVideo(page, first).done;
    expect(firstDone).toMatchObject({ size: first.blob.size, state: 'completed' });
    void sending;

    // 2. kill -9 the moment the complete reaches the store: it may assemble, the database never hears.
    // In parts on both stacks: the local store's multipart complete is the one a crash can cut.
    const second = await videoFile(path.join(dir, 'second.mp4'), 21 * MiB + 7);
    page = reloaded(page, 5 * MiB);
    const isComplete = (request: ProxiedRequest) => request.method === 'POST' && (stack === 's3' ? /[?&]uploadId=/.test(request.url) : request.url.endsWith('/complete'));
    const completing = proxy.cutOn(isComplete).then(() => killed());
    const lost = addVideo(page, second);
    await completing;
    proxy.restore();
    page = reloaded(page, 5 * MiB);
    await restart();
    const secondDone = await addVideo(page, second).done;
    expect(secondDone).toMatchObject({ size: second.blob.size, state: 'completed' });
    void lost;
    page.destroy();

    // Counted: bytes lost, records without objects, store uploads no ticket waits for.
    const storage = await createStorage(loadConfig(env));
    cleanups.push(() => storage.close());
    for (const [file, done] of [
      [first, firstDone],
      [second, secondDone],
    ] as const) {
      expect(await sha256Of(await storage.presignGet(done.key, { expiresIn: 600 }))).toBe(file.sha256);
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const database = await openDatabase({ databaseUrl: env.DATABASE_URL ?? null, dataDir: env.DATA_DIR!, command: 'test' });
    try {
      const uploads = await database.db.selectFrom('uploads').select(['key', 'state', 'multipart_id']).execute();
      const completed = uploads.filter((u) => u.state === 'completed');
      expect(completed.map((u) => u.key).sort()).toEqual([firstDone.key, secondDone.key].sort());
      const missing = (await Promise.all(completed.map(async (u) => ((await storage.head(u.key)) ? null : u.key)))).filter(Boolean);
      expect(missing).toEqual([]);
      const waitedFor = new Set(uploads.filter((u) => u.state === 'pending').map((u) => u.multipart_id));
      const orphans = (await storage.listIncompleteMultipart(new Date(Date.now() + 60_000))).filter((m) => !waitedFor.has(m.uploadId));
      expect(orphans).toEqual([]);
    } finally {
      await database.close();
    }
    await sleep(0);
  });
});
