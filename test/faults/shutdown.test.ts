/**
 * SIGTERM during an upload: the server stops taking connections, gives the PUT in flight at
 * most 10 s, cuts it (the local store keeps what it received), releases the embedded
 * database and exits 0; a server started at once on the same data is ready, and the same page
 * (the engine, never reloaded) goes on from the bytes held and completes, byte for byte.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryResumeStore } from '../../src/client/resume-store.ts';
import { createStorage } from '../../src/storage/index.ts';
import { loadConfig } from '../../src/config.ts';
import { freePort, loginAs, startTestApp } from '../harness.ts';
import { mediaBytes } from '../media-bytes.ts';
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

describe('a request arriving while the server shuts down', () => {
  it('is answered 503 shutting_down in the app’s shape on a kept-alive connection, while the request in flight finishes', async () => {
    const t = await startTestApp();
    try {
      const body = mediaBytes('video/mp4', 2 * MiB);
      const put = await t.app.storage.presignPut('videos/pipelined.mp4', { contentType: 'video/mp4', contentLength: body.length, expiresIn: 60 });
      const target = new URL(put.url);
      const socket = connect(Number(target.port), target.hostname);
      let answers = '';
      socket.on('data', (chunk: Buffer) => (answers += chunk.toString('latin1')));
      const ended = new Promise((resolve) => socket.on('close', resolve));
      socket.write(`PUT ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: video/mp4\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, MiB));
      await sleep(200);
      const closing = t.app.close();
      await sleep(200);
      // The rest of the PUT, then a second request on the same connection, sent while the server closes.
      socket.write(Buffer.concat([body.subarray(MiB), Buffer.from(`GET /api/v1/videos HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`)]));
      await ended;
      await closing;
      const [first, second] = answers.split(/(?=HTTP\/1\.1 )/);
      expect(first).toMatch(/^HTTP\/1\.1 200/);
      expect(second).toMatch(/^HTTP\/1\.1 503/);
      expect(second).toMatch(/retry-after: 5/i);
      expect(JSON.parse(second!.slice(second!.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'shutting_down', message: expect.stringMatching(/restarting/) } });
    } finally {
      await t.close();
    }
  });
});
