import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { createLocalStore, type LocalStore } from './index.ts';

/** What the local store's tests share: a store served over real HTTP, and ways to talk to it. */

export const MiB = 1024 ** 2;
export const SECRET = 'a test secret that is long enough to sign with';
export const TYPE = 'video/mp4';
/** The local store's ETag: the body's SHA-256, cut to 128 bits. */
export const localEtag = (body: Uint8Array) => createHash('sha256').update(body).digest('hex').slice(0, 32);

export interface Served {
  store: LocalStore;
  /** The store's root folder. */
  objects: string;
  baseUrl: string;
  close(): Promise<void>;
}

/** A local store whose routes are served by a real Fastify server on a random port. */
export async function serve(): Promise<Served> {
  const dir = await mkdtemp(path.join(tmpdir(), 'airlift-local-'));
  const objects = path.join(dir, 'objects');
  // Listen first: the store signs URLs for the port the server got.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = await createLocalStore({ root: objects, baseUrl, secret: SECRET });
  const app = Fastify({ serverFactory: (handler) => server.on('request', handler) });
  await app.register(store.routes);
  await app.ready();
  return {
    store,
    objects,
    baseUrl,
    async close() {
      await app.close();
      await store.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A store served for the enclosing `describe` (started before its tests, closed after them), with the helpers. */
export function servedStore() {
  let current: Served | undefined;
  beforeAll(async () => {
    current = await serve();
  });
  afterAll(() => current?.close());
  const served = (): Served => {
    if (!current) throw new Error('The store is served once the tests run.');
    return current;
  };
  return { served, store: () => served().store, ...storeHelpers(served) };
}

/** Requests against the store that `served()` gives once the tests run. */
export function storeHelpers(served: () => Served) {
  const putBytes = (url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = { 'Content-Type': TYPE }) =>
    fetch(url, { method: 'PUT', headers, body });
  return {
    newKey: () => `videos/${randomUUID()}.mp4`,
    tempFiles: () => readdir(path.join(served().objects, '.airlift', 'tmp')),
    stored: (key: string) => existsSync(path.join(served().objects, key)),
    errorOf: async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error,
    putBytes,
    /** A body fetch sends chunked, without Content-Length, so only counting can stop it. */
    chunked: (chunk: Uint8Array, count: number) => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < count) controller.enqueue(chunk);
          else controller.close();
        },
      });
    },
    putStream: (url: string, body: ReadableStream<Uint8Array>) =>
      fetch(url, { method: 'PUT', headers: { 'Content-Type': TYPE }, body, duplex: 'half' } as RequestInit),
    /** A PUT that sends `first` bytes of `body`, then waits to be finished or cut. */
    slowPut: (url: string, headers: Record<string, string | number>, body: Buffer, first: number) => {
      const signed = new URL(url);
      const req = httpRequest({ host: signed.hostname, port: signed.port, method: 'PUT', path: signed.pathname + signed.search, headers: { ...headers, 'Content-Length': body.length } });
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
      });
      // The store may answer and hang up before `finish` sends the rest (a complete stopped the body): a write
      // that then fails is the expected end of this request, not an uncaught error of the socket, which the
      // request no longer owns once it has its answer.
      req.on('socket', (socket) => socket.on('error', () => undefined));
      req.write(body.subarray(0, first));
      return { answer, finish: () => req.end(body.subarray(first)), cut: () => req.destroy() };
    },
    sha: (data: Uint8Array) => createHash('sha256').update(data).digest('hex'),
    read: async (key: string) => new Uint8Array(await (await fetch(await served().store.presignGet(key, { expiresIn: 60 }))).arrayBuffer()),
    /** Waits for the server to finish cleaning up after a request the client gave up on. */
    eventually: async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await check()).toBe(true);
    },
    async stash(key: string, body: Uint8Array<ArrayBuffer>, contentType = TYPE) {
      const signed = await served().store.presignPut(key, { contentType, expiresIn: 60, contentLength: body.length });
      expect((await putBytes(signed.url, body, signed.headers)).status).toBe(200);
    },
    /** A PUT whose path reaches the server exactly as written. */
    rawPut(pathAndQuery: string, body: string): Promise<number> {
      const { hostname, port } = new URL(served().baseUrl);
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: hostname, port, method: 'PUT', path: pathAndQuery, headers: { 'Content-Type': TYPE } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}
