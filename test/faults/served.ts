/**
 * What the fault tests share: `airlift serve` as a real process (to kill -9, to stop with
 * SIGTERM, to start again on the same data), the Node upload engine pointed at it, a transport
 * that sends slowly (so a PUT is still in flight when the fault comes), and the counts a test
 * asserts: the stored object's sha-256, records without objects, objects without records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../../src/client/api.ts';
import { createUploader, type Uploader } from '../../src/client/engine.ts';
import { NetworkError } from '../../src/client/errors.ts';
import { fetchTransport } from '../../src/client/fetch-transport.ts';
import type { ResumeStore } from '../../src/client/resume-store.ts';
import type { Transport } from '../../src/client/transport.ts';
import type { Session } from '../login.ts';
import { writeRandomFile } from '../random-file.ts';

const BIN = fileURLToPath(new URL('../../bin/airlift.js', import.meta.url));

export interface Served {
  child: ChildProcess;
  /** Resolves with the milliseconds from spawn to the ready line. */
  ready: Promise<number>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts `airlift serve` with `env` (on top of PATH). */
export function serveProcess(env: Record<string, string>): Served {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d;
      if (output.includes('Airlift is ready')) resolve(performance.now() - started);
    });
    child.stderr!.on('data', (d: Buffer) => (output += d));
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => output };
}

/** Runs `airlift <args>` to its end; rejects on a non-zero exit. */
export function airlift(args: string[], env: Record<string, string>, stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, LOG_LEVEL: 'warn', ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`airlift ${args.join(' ')} exited with ${code}: ${out}`))));
    child.stdin.end(stdin);
  });
}

/** Retries that outlast a restart of the server (seconds; tens on a busy machine), as the page's defaults do, only shorter. */
export const RESTART_RETRY = { retries: 24, baseDelayMs: 200, maxDelayMs: 3000 };

export function uploaderFor(baseUrl: string, session: Session, resumeStore: ResumeStore, options: { transport?: Transport; partSize?: number } = {}): Uploader {
  const api = new ApiClient({ baseUrl, headers: () => ({ Cookie: session.cookie, 'X-CSRFToken': session.csrf }) });
  return createUploader({ api, transport: options.transport ?? fetchTransport(), resumeStore, retry: RESTART_RETRY, partSize: options.partSize });
}

export interface TestFile {
  blob: Blob;
  filename: string;
  lastModified: number;
  sha256: string;
}

/** A video file of `size` bytes on disk (it opens as an MP4), read back as a file-backed Blob. */
export async function videoFile(file: string, size: number): Promise<TestFile> {
  const sha256 = await writeRandomFile(file, size, 'video/mp4');
  return { blob: await openAsBlob(file, { type: 'video/mp4' }), filename: file.split('/').at(-1)!, lastModified: (await stat(file)).mtimeMs, sha256 };
}

export const addVideo = (uploader: Uploader, file: TestFile) => uploader.add(file.blob, { kind: 'video', filename: file.filename, lastModified: file.lastModified });

/**
 * Sends each PUT body at about `bytesPerSecond` (Node's http, with its Content-Length), so a
 * PUT is still in flight when a test stops the server. Progress is reported as bytes go.
 */
export function slowTransport(bytesPerSecond: number): Transport {
  return {
    put(url, headers, body, onProgress, signal) {
      return new Promise((resolve, reject) => {
        const target = new URL(url);
        const req = httpRequest({ host: target.hostname, port: target.port, method: 'PUT', path: target.pathname + target.search, headers: { ...headers, 'Content-Length': body.size } });
        const fail = (error: unknown) => reject(signal.aborted ? signal.reason : new NetworkError('The connection to the storage failed.', { cause: error }));
        req.on('error', fail);
        signal.addEventListener('abort', () => req.destroy(), { once: true });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d));
          res.on('error', fail);
          res.on('end', () => {
            if ((res.statusCode ?? 0) < 300) onProgress(body.size);
            resolve({ status: res.statusCode ?? 0, etag: (res.headers.etag as string | undefined) ?? null, error: res.statusCode! < 300 ? undefined : { code: '', message: text } });
          });
        });
        void (async () => {
          const chunk = 256 * 1024;
          let sent = 0;
          for (let at = 0; at < body.size && !req.destroyed; at += chunk) {
            const bytes = new Uint8Array(await body.slice(at, at + chunk).arrayBuffer());
            if (!req.write(bytes)) await new Promise((r) => req.once('drain', r));
            sent += bytes.length;
            onProgress(sent);
            await sleep((bytes.length / bytesPerSecond) * 1000);
          }
          if (!req.destroyed) req.end();
        })().catch(fail);
      });
    },
  };
}

/** sha-256 of what a signed GET of the object reads. */
export async function sha256Of(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET of the stored object answered ${response.status}`);
  const hash = createHash('sha256');
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}
