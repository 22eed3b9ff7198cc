/**
 * What it costs Chromium to send a local file from a page, by the way the page sends it:
 * `npm run bench:send-methods`. For each method (the list below) the page uploads all of one
 * file (1 GiB of random bytes) to a sink on 127.0.0.1 that reads and discards the bodies;
 * the benchmark reports the throughput and the CPU seconds per GB (1e9 bytes) that
 * Chromium's processes spent, by type (browser, network service, renderer, other), as
 * /proc counts them from just before the upload until 300 ms after it.
 *
 * Chromium is driven over a raw DevTools pipe (bench/send-methods-cdp.ts), not Playwright:
 * Playwright always enables DevTools' Network domain, which makes the browser process copy
 * in-memory (ArrayBuffer) request bodies and inflates those methods' CPU. (File and slice
 * bodies measure the same either way.)
 *
 * Settings (environment): SEND_RUNS (3), SEND_ONLY (a regular expression on method ids),
 * SEND_FILE (the file to send; by default 1 GiB of random bytes written once to
 * $TMPDIR/airlift-bench/send-1024MiB.bin and kept), CHROMIUM_PATH (/usr/bin/chromium).
 * Prints a markdown table of medians over the runs (each run sends by every method in turn)
 * and writes the raw rows to bench/results/send-methods-<time>.json (SEND_JSON: to that path
 * instead; `npm run bench` reads its floor from there).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../test/chromium.ts';
import { writeRandomFile } from '../test/random-file.ts';
import { chromiumRole, cpuBetween, cpuModel, findChromiumBrowser, processTree, sample, type ChromiumRole, type Sample } from './procs.ts';
import { launchChromium, type CdpBrowser } from './send-methods-cdp.ts';
import { median } from './stats.ts';
import { withTimeout } from './timeout.ts';

interface Method {
  id: string;
  label: string;
  /** The page's name for the way of sending (bench/send-methods-page.js). */
  kind: string;
  /** Part size in MiB and parts in flight, for the methods that send the file in parts. */
  part?: number;
  conc?: number;
  worker?: boolean;
}

const METHODS: Method[] = [
  { id: 'xhr-file', label: 'XHR PUT of the whole File', kind: 'xhr-file' },
  { id: 'xhr-slice-whole', label: 'XHR PUT of file.slice(0, size)', kind: 'xhr-slice-whole' },
  { id: 'xhr-slices-256x4', label: 'XHR PUT of file.slice parts, 256 MiB, 4 in flight', kind: 'xhr-slices', part: 256, conc: 4 },
  { id: 'xhr-slices-64x4', label: 'XHR PUT of file.slice parts, 64 MiB, 4 in flight', kind: 'xhr-slices', part: 64, conc: 4 },
  { id: 'xhr-slices-16x4', label: 'XHR PUT of file.slice parts, 16 MiB, 4 in flight', kind: 'xhr-slices', part: 16, conc: 4 },
  { id: 'xhr-slices-64x1', label: 'XHR PUT of file.slice parts, 64 MiB, 1 at a time', kind: 'xhr-slices', part: 64, conc: 1 },
  { id: 'fetch-file', label: 'fetch PUT of the whole File', kind: 'fetch-file' },
  { id: 'fetch-slices-64x4', label: 'fetch PUT of file.slice parts, 64 MiB, 4 in flight', kind: 'fetch-slices', part: 64, conc: 4 },
  { id: 'xhr-arraybuffer-64x4', label: 'XHR PUT of slice.arrayBuffer(), 64 MiB, 4 in flight', kind: 'xhr-arraybuffer', part: 64, conc: 4 },
  { id: 'fetch-arraybuffer-64x4', label: 'fetch PUT of slice.arrayBuffer(), 64 MiB, 4 in flight', kind: 'fetch-arraybuffer', part: 64, conc: 4 },
  { id: 'xhr-filereader-64x4', label: 'XHR PUT of a FileReader ArrayBuffer, 64 MiB, 4 in flight', kind: 'xhr-filereader', part: 64, conc: 4 },
  { id: 'xhr-file-wrap-64x4', label: 'XHR PUT of new File([slice]), 64 MiB, 4 in flight', kind: 'xhr-file-wrap', part: 64, conc: 4 },
  { id: 'xhr-blob-wrap-64x4', label: 'XHR PUT of new Blob([slice]), 64 MiB, 4 in flight', kind: 'xhr-blob-wrap', part: 64, conc: 4 },
  { id: 'xhr-formdata-file', label: 'XHR POST of FormData with the whole File', kind: 'xhr-formdata-file' },
  { id: 'xhr-formdata-slices-64x4', label: 'XHR POST of FormData with a slice, 64 MiB, 4 in flight', kind: 'xhr-formdata-slices', part: 64, conc: 4 },
  { id: 'worker-xhr-slices-64x4', label: 'Worker: XHR PUT of file.slice parts, 64 MiB, 4 in flight', kind: 'xhr-slices', part: 64, conc: 4, worker: true },
  { id: 'worker-filereadersync-64x4', label: 'Worker: XHR PUT of a FileReaderSync ArrayBuffer, 64 MiB, 4 in flight', kind: 'xhr-filereadersync', part: 64, conc: 4, worker: true },
  // Chromium sends streamed bodies over HTTP/2 or later only: on the sink's HTTP/1.1 it refuses them.
  { id: 'fetch-stream-64x4', label: 'fetch PUT of slice.stream() (ReadableStream body), 64 MiB, 4 in flight', kind: 'fetch-stream', part: 64, conc: 4 },
];

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PAGE_SCRIPT = path.join(HERE, 'send-methods-page.js');
const ROLES: ChromiumRole[] = ['browser', 'network', 'renderer', 'other'];
const MiB = 1024 ** 2;
const TIMEOUT_MS = 10 * 60_000;

const runs = Number(process.env.SEND_RUNS || 3);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`SEND_RUNS must be a whole number from 1, got "${process.env.SEND_RUNS}"`);
const only = process.env.SEND_ONLY ? new RegExp(process.env.SEND_ONLY) : null;
const methods = METHODS.filter((method) => !only || only.test(method.id));
if (methods.length === 0) throw new Error(`SEND_ONLY matches no method id: ${METHODS.map((method) => method.id).join(', ')}`);

const log = (message: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

interface Row {
  method: string;
  run: number;
  ms?: number;
  mbps?: number;
  /** Body bytes the sink received (multipart framing included). */
  received: number;
  /** CPU seconds by process type. */
  cpu?: Record<ChromiumRole, number>;
  error?: string;
}

/** SEND_FILE, or 1 GiB of random bytes written once and kept; read through once so it sits in the page cache. */
async function fileToSend(): Promise<string> {
  let file = process.env.SEND_FILE;
  if (!file) {
    const dir = path.join(os.tmpdir(), 'airlift-bench');
    file = path.join(dir, 'send-1024MiB.bin');
    if (!existsSync(file) || statSync(file).size !== 1024 * MiB) {
      log(`writing 1 GiB of random bytes to ${file}`);
      await mkdir(dir, { recursive: true });
      await writeRandomFile(`${file}.partial`, 1024 * MiB);
      await rename(`${file}.partial`, file);
    }
  }
  if (!statSync(file).isFile() || statSync(file).size === 0) throw new Error(`SEND_FILE is not a file with bytes in it: ${file}`);
  for await (const _ of createReadStream(file, { highWaterMark: 4 * MiB }));
  return file;
}

/** Serves the page and its script, and reads and discards every request body, counting its bytes. */
async function startSink(): Promise<{ origin: string; received: () => number; reset: () => void; close: () => void }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/send-methods-page.js') {
      createReadStream(PAGE_SCRIPT).pipe(res.writeHead(200, { 'content-type': 'text/javascript' }));
    } else if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset=utf-8><input type=file><script src="/send-methods-page.js"></script>');
    } else {
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    }
  });
  server.requestTimeout = 0; // a slow upload of a whole file is still an upload
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    reset: () => void (received = 0),
    close: () => server.close(),
  };
}

/** CPU seconds of the browser's processes so far, grouped by type. */
function sampleChromium(browserPid: number): Sample {
  const byRole = new Map<ChromiumRole, number[]>();
  for (const pid of processTree(browserPid)) {
    const role = chromiumRole(pid);
    byRole.set(role, [...(byRole.get(role) ?? []), pid]);
  }
  return sample(ROLES.map((role) => ({ name: role, pids: () => byRole.get(role) ?? [] })));
}

/** Waits (at most 5 s) until Chromium is nearly idle: under 20 ms of CPU in 250 ms. */
async function quiet(browserPid: number): Promise<void> {
  const deadline = performance.now() + 5_000;
  let last = sampleChromium(browserPid);
  while (performance.now() < deadline) {
    await sleep(250);
    const now = sampleChromium(browserPid);
    if (Object.values(cpuBetween(last, now)).reduce((a, b) => a + b, 0) < 0.02) return;
    last = now;
  }
}


let loads = 0;

async function measure(method: Method, run: number, ctx: { browser: CdpBrowser; browserPid: number; sink: Awaited<ReturnType<typeof startSink>>; file: string; size: number }): Promise<Row> {
  const { browser, browserPid, sink, file, size } = ctx;
  // A fresh document every time (a new URL, so that the wait for it cannot see the last one).
  await browser.goto(`${sink.origin}/?load=${++loads}`);
  await browser.setInputFile('input[type=file]', file);
  await quiet(browserPid);
  sink.reset();
  const before = sampleChromium(browserPid);
  const args = [method.kind, { part: method.part, conc: method.conc }, method.worker ?? false].map((arg) => JSON.stringify(arg)).join(', ');
  let ms: number | undefined;
  let error: string | undefined;
  try {
    ms = await withTimeout(browser.evaluate<number>(`runMethod(${args})`), TIMEOUT_MS);
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  await sleep(300); // work the upload leaves behind (responses, releasing blobs) is its cost too
  const cpu = cpuBetween(before, sampleChromium(browserPid)) as Record<ChromiumRole, number>;
  const received = sink.received();
  if (!error && received < size) error = `the sink received ${received} of ${size} bytes`;
  if (error) {
    await browser.goto('about:blank').catch(() => undefined);
    return { method: method.id, run, received, error };
  }
  return { method: method.id, run, ms, mbps: size / 1e6 / (ms! / 1000), received, cpu };
}

function table(rows: Row[], size: number): string {
  const gb = size / 1e9;
  const lines = [
    '| method | MB/s | browser | network | renderer | other | total |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const method of methods) {
    const all = rows.filter((row) => row.method === method.id);
    const ok = all.filter((row) => !row.error);
    const name = `${method.label} (\`${method.id}\`)`;
    if (ok.length === 0) {
      lines.push(`| ${name} | failed: ${all[0]?.error ?? 'not run'} | | | | | |`);
      continue;
    }
    const perGb = (pick: (cpu: Record<ChromiumRole, number>) => number) => (median(ok.map((row) => pick(row.cpu!))) / gb).toFixed(2);
    const failed = ok.length < all.length ? ` (${all.length - ok.length} of ${all.length} runs failed)` : '';
    lines.push(
      `| ${name}${failed} | ${median(ok.map((row) => row.mbps!)).toFixed(0)} | ` +
        ROLES.map((role) => perGb((cpu) => cpu[role])).join(' | ') +
        ` | ${perGb((cpu) => ROLES.reduce((sum, role) => sum + cpu[role], 0))} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const file = await fileToSend();
  const size = statSync(file).size;
  const sink = await startSink();
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-send-methods-'));
  let browser: CdpBrowser | undefined;
  try {
    browser = await launchChromium(CHROMIUM_PATH, CHROMIUM_FLAGS, profileDir);
    const browserPid = findChromiumBrowser(profileDir);
    if (!browserPid) throw new Error('Cannot find the Chromium browser process');
    log(`${browser.version}; ${size} bytes; ${runs} run(s) of ${methods.map((method) => method.id).join(', ')}`);

    const rows: Row[] = [];
    for (let run = 1; run <= runs; run++) {
      // Methods interleaved, each run starting one further down the list.
      const shift = (run - 1) % methods.length;
      for (const method of [...methods.slice(shift), ...methods.slice(0, shift)]) {
        const row = await measure(method, run, { browser, browserPid, sink, file, size });
        rows.push(row);
        const cpu = row.cpu ? ROLES.map((role) => `${role} ${row.cpu![role].toFixed(2)}`).join(', ') : '';
        log(`run ${run}/${runs} ${method.id.padEnd(26)} ${row.error ? `failed: ${row.error}` : `${row.mbps!.toFixed(0).padStart(5)} MB/s, CPU-s ${cpu}`}`);
      }
    }

    console.log(
      `Chromium sending a ${(size / MiB).toFixed(0)} MiB file from a page: medians of ${runs} run(s); CPU seconds per GB (1e9 bytes) by process type.\n` +
        `${browser.version}, ${cpuModel()} (${os.cpus().length} cores), load average ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}.\n`,
    );
    console.log(table(rows, size));
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      settings: { runs, only: process.env.SEND_ONLY ?? null, fileBytes: size },
      chromium: { version: browser.version, flags: CHROMIUM_FLAGS },
      machine: { cpuModel: cpuModel(), cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 1024 ** 3), kernel: os.release(), loadAverageAtEnd: os.loadavg() },
      methods,
      rows,
    };
    const resultsDir = path.join(HERE, 'results');
    await mkdir(resultsDir, { recursive: true });
    const jsonPath = process.env.SEND_JSON || path.join(resultsDir, `send-methods-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(jsonPath, JSON.stringify(results, null, 2) + '\n');
    log(`raw rows: ${path.relative(path.dirname(HERE), jsonPath)}`);
  } finally {
    await browser?.close();
    await rm(profileDir, { recursive: true, force: true });
    sink.close();
  }
}

await main();
