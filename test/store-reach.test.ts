/**
 * The engine's "is the store back?" probe (`reachByFetch`), in Chromium, against a store that
 * answers `HEAD /` the way Ceph's gateway does: `Transfer-Encoding: chunked`, then the last
 * chunk `0\r\n\r\n` although a HEAD answer has no body. When those five bytes come late (a
 * loaded gateway, a relay), Chromium has already put the connection back in its pool, the next
 * PUT takes it and reads them as its own answer: the PUT fails after the store stored the part,
 * and the part goes again whole (seen as a flaky 64 MiB sent again in test/resume.test.ts).
 * The stand-in store below sends them 100 ms late every time, so the probe must not be a HEAD.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from './chromium.ts';

const ROUNDS = 20;
const LATE_MS = 100;
const CORS = 'Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: PUT\r\nAccess-Control-Allow-Headers: content-type\r\nAccess-Control-Expose-Headers: ETag\r\n';

/** What the stand-in store saw: one line per request ("PUT /bucket/key?partNumber=3"). */
const seen: string[] = [];

/** A hand-written HTTP/1.1 store: the gateway's `HEAD /` and `GET /` answers, CORS preflights, and PUTs answered 200 once their body is in. */
function answer(socket: Socket): void {
  let buffer = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.subarray(end + 4 + length);
      const [method, target] = head.split(' ');
      seen.push(`${method} ${target}`);
      const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/xml\r\nConnection: Keep-Alive\r\n\r\n';
      if (method === 'HEAD') {
        socket.write(chunked);
        setTimeout(() => socket.write('0\r\n\r\n'), LATE_MS);
      } else if (method === 'GET') {
        // The listing an anonymous caller gets, its body late too: a GET's body is read to its end before the connection is reused.
        const body = '<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>';
        socket.write(chunked);
        setTimeout(() => socket.write(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`), LATE_MS);
      } else if (method === 'OPTIONS') {
        socket.write(`HTTP/1.1 204 No Content\r\n${CORS}Access-Control-Max-Age: 600\r\nContent-Length: 0\r\n\r\n`);
      } else {
        socket.write(`HTTP/1.1 200 OK\r\n${CORS}ETag: "part"\r\nContent-Length: 0\r\n\r\n`);
      }
    }
  });
}

let store: Server;
let site: HttpServer;
let browser: Browser;
let storeOrigin: string;

beforeAll(async () => {
  const bundle = await build({
    stdin: {
      contents: `import { reachByFetch } from './transport.ts'; import { xhrTransport } from './xhr-transport.ts'; Object.assign(window, { reachByFetch, xhrTransport });`,
      resolveDir: fileURLToPath(new URL('../src/client/', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  store = createServer(answer);
  site = createHttpServer((request, response) => {
    if (request.url === '/probe.js') response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    else response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><script type="module" src="/probe.js"></script>');
  });
  await Promise.all([store, site].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  storeOrigin = `http://127.0.0.1:${(store.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  store?.close();
  site?.close();
});

describe('the probe for a store that is back', () => {
  it('leaves no connection a late HEAD body would break: every PUT after a probe gets its answer, none goes twice', async () => {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'reachByFetch' in window);
    seen.length = 0;
    const outcomes = await page.evaluate(
      async ({ origin, rounds }) => {
        const { reachByFetch, xhrTransport } = window as unknown as {
          reachByFetch: (url: string, signal: AbortSignal) => Promise<void>;
          xhrTransport: { put(url: string, headers: Record<string, string>, body: Blob, onProgress: () => void, signal: AbortSignal): Promise<{ status: number }> };
        };
        const signal = new AbortController().signal;
        const results: string[] = [];
        for (let part = 1; part <= rounds; part += 1) {
          const url = `${origin}/bucket/key?partNumber=${part}`;
          const probeFailed = await reachByFetch(url, signal).then(() => null, (error: Error) => `probe: ${error.message}`);
          if (probeFailed) {
            results.push(probeFailed);
            continue;
          }
          // The part goes as soon as the store answered: its HEAD's late bytes are still on their way.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const body = new Blob([new Uint8Array(1024 * 1024)], { type: 'application/octet-stream' });
          results.push(await xhrTransport.put(url, { 'Content-Type': 'application/octet-stream' }, body, () => undefined, signal).then(({ status }) => String(status), (error: Error) => error.message));
        }
        return results;
      },
      { origin: storeOrigin, rounds: ROUNDS },
    );
    await page.close();
    expect(outcomes).toEqual(Array(ROUNDS).fill('200'));
    const puts = seen.filter((line) => line.startsWith('PUT '));
    expect(puts).toEqual(Array.from({ length: ROUNDS }, (_, index) => `PUT /bucket/key?partNumber=${index + 1}`));
    expect(seen.filter((line) => !line.startsWith('PUT ') && !line.startsWith('OPTIONS '))).toEqual(Array(ROUNDS).fill('GET /'));
  }, 60_000);
});
