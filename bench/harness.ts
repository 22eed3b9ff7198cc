/**
 * What the benchmarks share (`npm run bench`, `npm run bench:links`): the test files, the
 * servers they upload to (the app on each store, tus), the page script and Chromium's
 * processes, and the page each upload runs in.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { loginAs, type Session } from '../test/login.ts';
import { freePort } from '../test/net.ts';
import type { S3TestServer } from '../test/s3-server.ts';
import { mediaOpening } from '../test/media-bytes.ts';
import type { AppReady, AppReply, AppRequest } from './app-server.ts';
import { chromiumRole, processTree, type ChromiumRole, type Watched } from './procs.ts';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 ** 2;

export function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
}

export const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

// ---- test files -----------------------------------------------------------------------------

/** Whether `file` begins with `opening` (a file kept from before the content check does not). */
export async function startsWith(file: string, opening: Buffer): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(opening.length);
    await handle.read(head, 0, head.length, 0);
    return head.equals(opening);
  } finally {
    await handle.close();
  }
}

export interface BenchFile {
  sizeMiB: number;
  size: number;
  path: string;
  name: string;
}

/** An MP4's opening, then random bytes (the content check at complete wants a real MP4), written once and kept between runs; read once so they sit in the page cache. */
export async function benchFile(sizeMiB: number, dir: string): Promise<BenchFile> {
  await mkdir(dir, { recursive: true });
  const name = `bench-${sizeMiB}MiB.mp4`;
  const file = path.join(dir, name);
  const size = sizeMiB * MiB;
  const opening = mediaOpening('video/mp4');
  if (!existsSync(file) || statSync(file).size !== size || !(await startsWith(file, opening))) {
    log(`writing ${size} bytes (an MP4 opening, then random) to ${file}`);
    const chunk = Buffer.alloc(16 * MiB);
    await pipeline(async function* () {
      for (let written = 0; written < size; written += chunk.length) {
        randomFillSync(chunk);
        if (written === 0) opening.copy(chunk);
        yield chunk.subarray(0, Math.min(chunk.length, size - written));
      }
    }, createWriteStream(file));
  }
  await pipeline(createReadStream(file, { highWaterMark: 4 * MiB }), async function (source) {
    for await (const _ of source);
  });
  return { sizeMiB, size, path: file, name };
}

// ---- servers --------------------------------------------------------------------------------

/** A request to the app server, without the id the channel adds. */
export type AppRequestBody = AppRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface AppServer {
  store: 'local' | 's3';
  process: ChildProcess;
  baseUrl: string;
  cookies: Session;
  ask(request: AppRequestBody): Promise<unknown>;
  stop(): Promise<void>;
}

export const BENCH_EMAIL = 'bench@example.com';
export const BENCH_PASSWORD = 'benchmark password 1';

export function forkTs(file: string, env: Record<string, string>): ChildProcess {
  return fork(path.join(HERE, file), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    // Log lines go nowhere (as cheaply as a server's logs can), errors to our stderr.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

export function ready<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

export async function startApp(store: 'local' | 's3', env: Record<string, string>, options: { port?: number; publicBaseUrl?: string } = {}): Promise<AppServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `airlift-bench-${store}-`));
  const port = options.port ?? (await freePort());
  // The origin pages open: the app itself, or a proxy in front of it.
  const baseUrl = options.publicBaseUrl ?? `http://127.0.0.1:${port}`;
  const child = forkTs('app-server.ts', {
    ...env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    BENCH_EMAIL,
    BENCH_PASSWORD,
  });
  await ready<AppReady>(child, `the ${store} app server`);
  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  child.on('message', (message: AppReply) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  return {
    store,
    process: child,
    baseUrl,
    cookies: await loginAs(baseUrl, BENCH_EMAIL, BENCH_PASSWORD),
    ask(request) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...request, id });
      });
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await Promise.race([exited, sleep(10_000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TusServer {
  process: ChildProcess;
  endpoint: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTus(): Promise<TusServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-tus-'));
  const child = forkTs('tus-server.ts', { TUS_DIR: dir, TUS_PORT: String(await freePort()) });
  const { endpoint } = await ready<{ endpoint: string }>(child, 'the tus server');
  return {
    process: child,
    endpoint,
    dir,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await Promise.race([exited, sleep(10_000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The S3 gateway's daemons (radosgw, the OSD that holds the data in RAM, the monitor). */
export function rgwPids(server: S3TestServer): number[] {
  return ['client.rgw.test', 'osd.0', 'mon.a'].flatMap((name) => {
    try {
      return [Number(readFileSync(path.join(server.dir, 'run', `${name}.pid`), 'utf8').trim())];
    } catch {
      return [];
    }
  });
}

/** Deleted S3 data stays in the gateway's RAM until garbage collection: collect it now, between measurements. */
export async function collectGarbage(server: S3TestServer): Promise<void> {
  await run('radosgw-admin', ['-c', path.join(server.dir, 'ceph.conf'), 'gc', 'process', '--include-all'], { timeout: 120_000 }).catch((error: Error) =>
    log(`radosgw-admin gc process failed: ${error.message}`),
  );
}

// ---- Chromium -------------------------------------------------------------------------------

export async function bundlePageScript(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(HERE, 'page-entry.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110'],
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Chromium's processes by role, read once per sample (the tree is walked once for all four groups). */
export function chromiumGroups(browserPid: number): Watched[] {
  let cached: { at: number; byRole: Map<ChromiumRole, number[]> } | null = null;
  const byRole = () => {
    if (!cached || performance.now() - cached.at > 20) {
      const map = new Map<ChromiumRole, number[]>();
      for (const pid of processTree(browserPid)) {
        const role = chromiumRole(pid);
        map.set(role, [...(map.get(role) ?? []), pid]);
      }
      cached = { at: performance.now(), byRole: map };
    }
    return cached.byRole;
  };
  return (['browser', 'network', 'renderer', 'other'] as const).map((role) => ({ name: `chromium-${role}`, pids: () => byRole().get(role) ?? [] }));
}


export const INPUT_ID = 'bench-file';

export async function openPage(context: BrowserContext, page: Page, app: AppServer, file: BenchFile, script: string): Promise<void> {
  const { hostname } = new URL(app.baseUrl);
  // Every app is on 127.0.0.1: their cookies share a name, so the one in use is set before each scenario.
  await context.clearCookies();
  await context.addCookies([
    { name: 'csrftoken', value: app.cookies.csrf, domain: hostname, path: '/', sameSite: 'Lax' },
    { name: 'airlift_session', value: app.cookies.session, domain: hostname, path: '/', httpOnly: true, sameSite: 'Lax' },
  ]);
  const response = await page.goto(`${app.baseUrl}/`);
  if (!response?.ok() || new URL(page.url()).pathname !== '/') throw new Error(`Could not open the library page (${response?.status()} at ${page.url()})`);
  await page.addScriptTag({ content: script });
  await page.evaluate((id) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = id;
    document.body.append(input);
  }, INPUT_ID);
  // A path, not a buffer: Chromium reads the file from disk as it would a user's.
  await page.setInputFiles(`#${INPUT_ID}`, file.path);
}
