/**
 * One part request in ten fails at random on its way to the store (half reset as a broken
 * connection, half answered 503 by a gateway): every upload still completes, byte for byte.
 */
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiClient } from '../../src/client/api.ts';
import { createUploader } from '../../src/client/engine.ts';
import { fetchTransport } from '../../src/client/fetch-transport.ts';
import { TcpProxy } from '../cut-proxy.ts';
import { freePort, startTestApp, type Session, type TestApp } from '../harness.ts';
import { writeRandomFile } from '../random-file.ts';
import { sha256Of } from './served.ts';

const MiB = 1024 * 1024;

describe.each(['local', 's3'] as const)('10 %% of part requests failing on the %s store', { timeout: 180_000 }, (storage) => {
  let t: TestApp;
  let session: Session;
  let proxy: TcpProxy;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-flaky-'));
    const proxyPort = await freePort();
    const proxied = `http://127.0.0.1:${proxyPort}`;
    if (storage === 's3') {
      proxy = new TcpProxy(Number(new URL(inject('s3').env.R2_ENDPOINT_URL).port));
      await proxy.open(proxyPort);
      t = await startTestApp({ storage, env: { R2_ENDPOINT_URL: proxied } });
    } else {
      // The local store is the app: its signed URLs point at the proxy in front of it.
      t = await startTestApp({ storage, env: { PUBLIC_BASE_URL: proxied } });
      proxy = new TcpProxy(Number(new URL(t.baseUrl).port));
      await proxy.open(proxyPort);
    }
    session = await t.login();
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('completes every upload intact', async () => {
    proxy.failAtRandom(0.1, (request) => request.method === 'PUT');
    const api = new ApiClient({ baseUrl: t.baseUrl, headers: () => ({ Cookie: session.cookie, 'X-CSRFToken': session.csrf }) });
    const uploader = createUploader({ api, transport: fetchTransport(), retry: { retries: 6, baseDelayMs: 20, maxDelayMs: 200 }, partSize: 5 * MiB });
    const files = [
      { name: 'clip.mp4', size: 31 * MiB + 5, type: 'video/mp4', kind: 'video' as const },
      ...Array.from({ length: 30 }, (_, i) => ({ name: `photo-${i}.jpg`, size: 256 * 1024 + i, type: 'image/jpeg', kind: 'photo' as const })),
    ];
    const sent = await Promise.all(
      files.map(async (file) => {
        const target = path.join(dir, `${storage}-${file.name}`);
        const sha256 = await writeRandomFile(target, file.size, file.type);
        const blob = await openAsBlob(target, { type: file.type });
        return { sha256, upload: uploader.add(blob, { kind: file.kind, filename: file.name, lastModified: (await stat(target)).mtimeMs }) };
      }),
    );
    const results = await Promise.all(sent.map((s) => s.upload.done));
    proxy.failAtRandom(0);
    uploader.destroy();

    expect(proxy.failed).toBeGreaterThanOrEqual(3);
    const stored = await Promise.all(results.map(async (result) => sha256Of(await t.app.storage.presignGet(result.key, { expiresIn: 600 }))));
    expect(stored).toEqual(sent.map((s) => s.sha256));
    const completed = await t.app.db.selectFrom('uploads').select('key').where('state', '=', 'completed').execute();
    expect(completed).toHaveLength(files.length);
    console.log(`${storage}: ${proxy.failed} of ${proxy.requests.filter((r) => r.method === 'PUT').length + proxy.failed} part requests failed; ${files.length} uploads intact`);
  });
});
