/**
 * SIGTERM during an upload: the server stops taking connections, gives the PUT in flight at
 * most 10 s, cuts it (the local store keeps what it received), releases the embedded
 * database and exits 0; a server started at once on the same data is ready, and the same page
 * (the engine, never reloaded) goes on from the bytes held and completes, byte for byte.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryResumeStore } from '../../src/client/resume-store.ts';
import { createStorage } from '../../src/storage/index.ts';
import { loadConfig } from '../../src/config.ts';
import { freePort, loginAs } from '../harness.ts';
import { addVideo, airlift, serveProcess, sha256Of, slowTransport, uploaderFor, videoFile, type Served } from './served.ts';

const MiB = 1024 * 1024;

describe('SIGTERM during an upload', { timeout: 150_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('exits 0 within 10.5 s, a restart at once is ready, and the upload goes on from the bytes held and completes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-shutdown-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: path.join(dir, 'data'), PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: baseUrl };
    await airlift(['user', 'create', '--email', 'editor@example.com', '--password-stdin'], env, 'a long enough password\n');
    let server: Served = serveProcess(env);
    cleanups.push(async () => server.child.kill('SIGKILL'));
    await server.ready;
    const session = await loginAs(baseUrl, 'editor@example.com', 'a long enough password');

    const file = await videoFile(path.join(dir, 'clip.mp4'), 64 * MiB);
    // 4 MiB/s: the PUT is still sending when the 10 s are up.
    const uploader = uploaderFor(baseUrl, session, new MemoryResumeStore(), { transport: slowTransport(4 * MiB) });
    const upload = addVideo(uploader, file);
    const heldBytes = async () => {
      const response = await fetch(`${baseUrl}/api/v1/uploads/${upload.uploadId}`, { headers: { cookie: session.cookie } });
      return ((await response.json()) as { held_bytes: number }).held_bytes;
    };
    while (upload.uploadId === null || (await heldBytes()) < 8 * MiB) await sleep(100);

    const signalled = performance.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    const stopSeconds = (performance.now() - signalled) / 1000;
    expect(code).toBe(0);
    expect(stopSeconds).toBeLessThanOrEqual(10.5);
    expect(stopSeconds).toBeGreaterThan(9); // the PUT had its 10 s
    expect(server.output()).toContain('cutting the requests still in flight');

    server = serveProcess(env);
    const readyMs = await server.ready;
    console.log(`SIGTERM → exit ${stopSeconds.toFixed(1)} s; restart ready in ${(readyMs / 1000).toFixed(1)} s`);

    const result = await upload.done;
    expect(result).toMatchObject({ size: file.blob.size, state: 'completed' });
    const storage = await createStorage(loadConfig(env));
    try {
      expect(await sha256Of(await storage.presignGet(result.key, { expiresIn: 600 }))).toBe(file.sha256);
    } finally {
      await storage.close();
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
