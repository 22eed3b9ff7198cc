/**
 * What a sweep costs the requests it runs beside (`npm run bench:sweep`): the embedded
 * database (PGlite, one connection), 200 expired upload tickets whose objects are in the local
 * store, a store whose delete takes 20 ms (the local store, wrapped; a bucket's DELETE takes
 * about that), and one client asking `GET /api/v1/videos` (a session and a query) back to back
 * during the sweep. Prints how many of its requests were answered while the sweep ran, and
 * how long they waited.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../src/app.ts';
import { createUser } from '../src/auth/users.ts';
import { loadConfig } from '../src/config.ts';
import type { StorageDriver } from '../src/storage/driver.ts';
import { sweep } from '../src/uploads/sweep.ts';
import { mediaBytes } from '../test/media-bytes.ts';
import { loginAs } from '../test/login.ts';
import { freePort } from '../test/net.ts';

const TICKETS = Number(process.env.SWEEP_BENCH_TICKETS ?? 200);
const DELETE_MS = Number(process.env.SWEEP_BENCH_DELETE_MS ?? 20);

/** The store with a slow `delete`, everything else as it is. */
function slowDeletes(store: StorageDriver, ms: number): StorageDriver {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'delete') return async (key: string) => (await sleep(ms), target.delete(key));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-sweep-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: baseUrl, LOG_LEVEL: 'silent' });
  const app = await buildApp(config, { logger: false });
  try {
    await app.listen({ port, host: '127.0.0.1' });
    await createUser(app.db, { email: 'bench@example.com', password: 'correct horse battery staple', role: 'editor' });
    const session = await loginAs(baseUrl, 'bench@example.com', 'correct horse battery staple');
    const headers = { cookie: session.cookie, 'x-csrftoken': session.csrf };
    const body = new Uint8Array(mediaBytes('video/mp4', 1000));
    for (let i = 0; i < TICKETS; i++) {
      const res = await fetch(`${baseUrl}/api/v1/uploads`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ filename: `v${i}.mp4`, size: body.length, content_type: 'video/mp4', kind: 'video' }),
      });
      const upload = (await res.json()) as { url: string; headers: Record<string, string> };
      await fetch(upload.url, { method: 'PUT', headers: upload.headers, body });
    }
    // Two days on, every ticket (24 h) and every URL it signed (1 h) has expired.
    const later = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    const ctx = { config, db: app.db, storage: slowDeletes(app.storage, DELETE_MS) };

    let sweeping = true;
    const started = performance.now();
    const running = sweep(ctx, later).finally(() => (sweeping = false));
    const waits: number[] = [];
    while (sweeping) {
      const at = performance.now();
      const res = await fetch(`${baseUrl}/api/v1/videos`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET /api/v1/videos answered ${res.status}`);
      // A request that was still waiting when the sweep ended counts too: its wait is what the sweep cost it.
      waits.push(performance.now() - at);
    }
    const result = await running;
    const sweepMs = performance.now() - started;
    const sorted = [...waits].sort((a, b) => a - b);
    const figures = {
      tickets: TICKETS,
      store_delete_ms: DELETE_MS,
      sweep_ms: Math.round(sweepMs),
      swept: result,
      requests_answered_during_sweep: waits.length,
      wait_ms: { median: +percentile(sorted, 50).toFixed(1), p95: +percentile(sorted, 95).toFixed(1), max: +(sorted.at(-1) ?? NaN).toFixed(1) },
    };
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
