/**
 * Airlift's upload benchmark: `npm run bench`. Not a test (it asserts nothing and takes
 * minutes); it measures, in one run on one machine, Airlift's browser engine against the
 * peers on the same files, and writes docs/BENCHMARKS.md and bench/results/<time>.json.
 *
 * Scenarios, each on the local store (the app's own /store) and on the S3 test server
 * (Ceph RGW), for each file size:
 *   engine   Airlift's engine in Chromium at its defaults, and at concurrency 1, 4, 6
 *   xhr      (b) one XMLHttpRequest PUT of the whole File to a presigned single-PUT URL
 *   curl     (a) `curl -T file <presigned URL>`
 *   uppy     (c) @uppy/core + @uppy/aws-s3 at their defaults, wired to Airlift's upload API
 * and once per size (its own store):
 *   tus      (d) tus-js-client at its defaults → @tus/server with its file store
 *
 * Settings (environment): BENCH_RUNS (5), BENCH_SIZES in MiB (256,1024), BENCH_STORES
 * (local,s3), BENCH_ONLY (a regular expression on scenario ids), BENCH_WARMUP_PASSES (1),
 * BENCH_PAUSE_MS (1000), BENCH_DIR (where the test files live), BENCH_DOCS=0 (leave
 * docs/BENCHMARKS.md alone), BENCH_ENGINE_VARIANTS (extra engine scenarios with a part
 * size the page asks for, "<MiB>x<concurrency>,…", for tuning), MEMSTORE_BYTES (the S3
 * server's RAM store, 5 GiB here), BENCH_FLOOR=0 (skip the floor below).
 *
 * With the S3 store, the run ends with `bench:send-methods` on its largest file, ways of
 * sending parts only: the cheapest is Chromium's CPU floor for a file in parts, which the S3
 * targets are read against. The page also sets each target beside the run it showed before.
 */
import { CHROMIUM_FLAGS } from '../test/chromium.ts';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { UPLOADER_DEFAULTS } from '../src/client/engine.ts';
import { DEFAULT_PLAN, RESUMABLE_PUT_PLAN } from '../src/uploads/rules.ts';
import { corsRulesFor, createS3Store } from '../src/storage/s3.ts';
import { CHROMIUM_PATH } from '../test/chromium.ts';
import { startS3TestServer, type S3TestServer } from '../test/s3-server.ts';
import type { Outcome } from './page-api.ts';
import { cpuBetween, cpuModel, findChromiumBrowser, peaks, resetPeaks, sample, threadSplit, type Watched } from './procs.ts';
import { partsFloor, renderReport, summarise, type BenchResults, type Measurement, type PartsFloor, type ScenarioInfo, type SendMethodsResults } from './report.ts';
import { withTimeout } from './timeout.ts';
import { benchFile, bundlePageScript, chromiumGroups, collectGarbage, INPUT_ID, intSetting, log, openPage, rgwPids, startApp, startTus, type AppServer, type BenchFile, type TusServer } from './harness.ts';
import { keepSection } from './api/section.ts';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;


const settings = {
  runs: Math.max(1, intSetting('BENCH_RUNS', 5)),
  sizesMiB: (process.env.BENCH_SIZES || '256,1024').split(',').map((s) => Number(s.trim())),
  stores: (process.env.BENCH_STORES || 'local,s3').split(',').map((s) => s.trim()),
  only: process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null,
  warmupPasses: intSetting('BENCH_WARMUP_PASSES', 1),
  pauseMs: intSetting('BENCH_PAUSE_MS', 1000),
  dir: process.env.BENCH_DIR || path.join(os.tmpdir(), 'airlift-bench'),
  docs: process.env.BENCH_DOCS !== '0',
  floor: process.env.BENCH_FLOOR !== '0',
  /** Exploratory engine variants, "<part MiB>x<concurrency>" each, e.g. "32x4,128x2": for tuning the defaults. */
  engineVariants: (process.env.BENCH_ENGINE_VARIANTS || '')
    .split(',')
    .filter(Boolean)
    .map((variant) => {
      const match = /^(\d+)x(\d+)$/.exec(variant.trim());
      if (!match) throw new Error(`BENCH_ENGINE_VARIANTS lists <part MiB>x<concurrency>, e.g. 32x4; got "${variant}"`);
      return [Number(match[1]), Number(match[2])] as const;
    }),
};
for (const size of settings.sizesMiB) if (!Number.isInteger(size) || size < 1) throw new Error(`BENCH_SIZES must list sizes in MiB, got ${process.env.BENCH_SIZES}`);
for (const store of settings.stores) if (store !== 'local' && store !== 's3') throw new Error(`BENCH_STORES lists local and/or s3, got ${store}`);
process.env.MEMSTORE_BYTES ??= String(5 * GiB);



// ---- scenarios ------------------------------------------------------------------------------

interface RunOutcome extends Outcome {
  /** CPU seconds of a client outside Chromium (curl). */
  clientCpu?: number;
  plan?: { strategy: string; partSize: number; partCount: number; concurrency?: number };
  cleanup(): Promise<void>;
}

interface Scenario extends ScenarioInfo {
  /** Where the page runs: the app whose origin it is on (tus runs on the local app's page). */
  app: AppServer | null;
  run(file: BenchFile, page: Page): Promise<RunOutcome>;
}


async function curlPut(file: BenchFile, url: string, headers: Record<string, string>): Promise<{ ms: number; cpu: number }> {
  // `times` prints the shell's, then its children's, user and system CPU: curl's own CPU.
  const args = ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}\\n', '-T', file.path, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const script = `curl ${args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')} && times`;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl failed (${code}): ${out}`))));
  });
  const [status, seconds] = output.trim().split('\n')[0]!.split(' ');
  if (!status?.startsWith('2')) throw new Error(`curl's PUT answered ${status}: ${output}`);
  const times = [...output.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { ms: Number(seconds) * 1000, cpu: (times[2] ?? 0) + (times[3] ?? 0) };
}

function scenarios(apps: Map<string, AppServer>, tus: TusServer | null): Scenario[] {
  const list: Scenario[] = [];
  const concurrencies = [1, 4, 6].filter((c) => c !== UPLOADER_DEFAULTS.concurrency);
  for (const app of apps.values()) {
    const store = app.store;
    const server = store === 'local' ? ['app-local'] : ['app-s3', 'rgw'];
    const browser = { app, store, server, client: 'chromium' as const };
    const presigned = async (file: BenchFile) => {
      const key = `videos/bench-${randomUUID()}.mp4`;
      const put = (await app.ask({ op: 'presign', key, size: file.size, contentType: 'video/mp4' })) as { url: string; headers: Record<string, string> };
      return { key, ...put };
    };
    const removeKey = (key: string) => async () => void (await app.ask({ op: 'delete', key }));
    const engine = (concurrency: number | undefined, partSizeMiB?: number): Scenario => ({
      ...browser,
      id: `${store}/engine-${partSizeMiB ? `p${partSizeMiB}` : ''}${concurrency === undefined ? 'default' : `c${concurrency}`}`,
      kind: 'engine',
      label:
        (concurrency === undefined ? `Airlift engine, defaults (concurrency ${UPLOADER_DEFAULTS.concurrency})` : `Airlift engine, concurrency ${concurrency}`) +
        (partSizeMiB ? `, ${partSizeMiB} MiB parts` : ''),
      async run(_file, page) {
        const outcome = await page.evaluate(([id, c, p]) => window.airliftBench.engine(id, { concurrency: c ?? undefined, partSize: p ?? undefined }), [
          INPUT_ID,
          concurrency ?? null,
          partSizeMiB ? partSizeMiB * MiB : null,
        ] as const);
        return {
          ...outcome,
          plan: { strategy: outcome.strategy, partSize: outcome.partSize, partCount: outcome.partCount, concurrency: outcome.concurrency },
          cleanup: removeKey(outcome.key),
        };
      },
    });
    list.push(engine(undefined), ...concurrencies.map((c) => engine(c)));
    for (const [partSizeMiB, concurrency] of settings.engineVariants) list.push(engine(concurrency, partSizeMiB));
    list.push({
      ...browser,
      id: `${store}/xhr`,
      kind: 'xhr',
      label: '(b) one XHR PUT of the whole file',
      async run(file, page) {
        const { key, url, headers } = await presigned(file);
        const outcome = await page.evaluate(([id, u, h]) => window.airliftBench.xhrPut(id, u, h), [INPUT_ID, url, headers] as const);
        return { ...outcome, cleanup: removeKey(key) };
      },
    });
    list.push({
      ...browser,
      client: 'curl',
      id: `${store}/curl`,
      kind: 'curl',
      label: '(a) curl -T, one PUT',
      async run(file) {
        const { key, url, headers } = await presigned(file);
        const { ms, cpu } = await curlPut(file, url, headers);
        return { ms, clientCpu: cpu, cleanup: removeKey(key) };
      },
    });
    list.push({
      ...browser,
      id: `${store}/uppy`,
      kind: 'uppy',
      label: '(c) Uppy @uppy/aws-s3, defaults',
      async run(_file, page) {
        const outcome = await page.evaluate((id) => window.airliftBench.uppy(id), INPUT_ID);
        return { ...outcome, plan: { strategy: 'multipart', partSize: outcome.partSize, partCount: 0, concurrency: 1 }, cleanup: removeKey(outcome.key) };
      },
    });
  }
  const local = apps.get('local') ?? [...apps.values()][0]!;
  if (tus) {
    list.push({
      app: local,
      store: 'tus',
      server: ['tus'],
      client: 'chromium',
      id: 'tus/tus',
      kind: 'tus',
      label: '(d) tus-js-client → @tus/server file store, defaults',
      async run(_file, page) {
        const outcome = await page.evaluate(([id, endpoint]) => window.airliftBench.tus(id, endpoint), [INPUT_ID, tus.endpoint] as const);
        return {
          ...outcome,
          async cleanup() {
            for (const name of await readdir(tus.dir)) await rm(path.join(tus.dir, name), { recursive: true, force: true });
          },
        };
      },
    });
  }
  return list.filter((scenario) => !settings.only || settings.only.test(scenario.id));
}

// ---- measuring ------------------------------------------------------------------------------


async function measure(scenario: Scenario, file: BenchFile, ctx: Context, runIndex: number): Promise<Measurement> {
  const base = { scenario: scenario.id, sizeMiB: file.sizeMiB, run: runIndex };
  try {
    if (scenario.store === 's3' && ctx.s3) await collectGarbage(ctx.s3);
    await run('sync');
    await sleep(settings.pauseMs);
    if (scenario.client === 'chromium') await openPage(ctx.context, ctx.page, scenario.app!, file, ctx.script);
    await quiet(ctx.groups);
    resetPeaks(ctx.groups);
    // The Node server's CPU split between its main thread (JavaScript) and the others (hashing worker, libuv's pool, V8's helpers).
    const nodePid = ctx.groups.find((group) => group.name === scenario.server[0])?.pids()[0];
    const threadsBefore = nodePid ? threadSplit(nodePid) : null;
    const before = sample(ctx.groups);
    const outcome = await withTimeout(scenario.run(file, ctx.page), 10 * 60_000);
    const after = sample(ctx.groups);
    const threadsAfter = nodePid ? threadSplit(nodePid) : null;
    const memory = peaks(ctx.groups);
    const cpu = cpuBetween(before, after);
    if (outcome.clientCpu !== undefined) cpu.curl = outcome.clientCpu;
    await outcome.cleanup();
    return { ...base, load1: os.loadavg()[0], ms: outcome.ms, mbps: file.size / 1e6 / (outcome.ms / 1000), cpu, peakRss: memory, apiCalls: outcome.apiCalls, apiMs: outcome.apiMs, plan: outcome.plan,
      serverThreads: threadsBefore && threadsAfter ? { main: threadsAfter.main - threadsBefore.main, others: threadsAfter.others - threadsBefore.others } : undefined,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${scenario.id} ${file.sizeMiB} MiB failed: ${message}`);
    // Whatever the page was doing stops with it.
    await ctx.page.goto('about:blank').catch(() => undefined);
    return { ...base, error: message };
  }
}


/**
 * Waits (at most 10 s) until the watched processes are nearly idle: the S3 gateway frees
 * deleted data in the background, and that work belongs to no upload.
 */
async function quiet(groups: Watched[]): Promise<void> {
  const busy = (a: ReturnType<typeof sample>, b: ReturnType<typeof sample>) => Object.values(cpuBetween(a, b)).reduce((x, y) => x + y, 0);
  const deadline = performance.now() + 10_000;
  let last = sample(groups);
  while (performance.now() < deadline) {
    await sleep(250);
    const now = sample(groups);
    if (busy(last, now) < 0.05) return;
    last = now;
  }
}

interface Context {
  context: BrowserContext;
  page: Page;
  script: string;
  groups: Watched[];
  s3: S3TestServer | null;
}

/** Each run takes the scenarios in a different order, so none always follows the same one. */
function rotate<T>(items: T[], by: number): T[] {
  const k = items.length ? by % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The order of one run: each store's scenarios rotated by the run's number, the stores taking turns. */
function runOrder(list: Scenario[], runIndex: number): Scenario[] {
  const byStore = [...new Set(list.map((s) => s.store))].map((store) => rotate(list.filter((s) => s.store === store), runIndex));
  const order: Scenario[] = [];
  for (let i = 0; order.length < list.length; i++) for (const scenarios of byStore) if (scenarios[i]) order.push(scenarios[i]!);
  return order;
}

async function versions(): Promise<Record<string, string>> {
  const pkg = (name: string) => {
    try {
      return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  const first = async (command: string, args: string[]) => {
    try {
      const { stdout } = await run(command, args);
      return stdout.trim().split('\n')[0]!;
    } catch {
      return 'unknown';
    }
  };
  return {
    node: process.version,
    chromium: await first(CHROMIUM_PATH, ['--version']),
    curl: await first('curl', ['--version']),
    radosgw: await first('radosgw', ['--version']),
    '@uppy/core': pkg('@uppy/core'),
    '@uppy/aws-s3': pkg('@uppy/aws-s3'),
    'tus-js-client': pkg('tus-js-client'),
    '@tus/server': pkg('@tus/server'),
    '@tus/file-store': pkg('@tus/file-store'),
    '@aws-sdk/client-s3': pkg('@aws-sdk/client-s3'),
    'playwright-core': pkg('playwright-core'),
    fastify: pkg('fastify'),
  };
}

/** The ways of sending a file in parts that bench/send-methods.ts knows (not a whole File, not a stream Chromium refuses on HTTP/1.1). */
const PARTS_METHODS = '-(slices|arraybuffer|filereader|filereadersync|file-wrap|blob-wrap)-';

/** Runs `bench:send-methods` on `file`, parts methods only, and returns the cheapest. */
async function measureFloor(file: BenchFile): Promise<PartsFloor | null> {
  const json = path.join(await mkdtemp(path.join(os.tmpdir(), 'airlift-floor-')), 'send-methods.json');
  log(`the floor: bench:send-methods on ${file.sizeMiB} MiB, ways of sending parts`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'send-methods.ts')], {
    env: { ...process.env, SEND_FILE: file.path, SEND_ONLY: PARTS_METHODS, SEND_RUNS: String(Math.min(3, settings.runs)), SEND_JSON: json },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) {
    log(`bench:send-methods exited with ${code}: no floor in this run`);
    return null;
  }
  const floor = partsFloor(JSON.parse(await readFile(json, 'utf8')) as SendMethodsResults);
  await rm(path.dirname(json), { recursive: true, force: true });
  return floor;
}

/** The results docs/BENCHMARKS.md showed before this run, to set its targets beside. */
async function lastShown(docs: string): Promise<{ results: BenchResults; jsonPath: string } | undefined> {
  const shown = /measurements of the run it shows are in `(bench\/results\/[^`]+\.json)`/.exec(await readFile(docs, 'utf8').catch(() => ''))?.[1];
  if (!shown) return undefined;
  const results = (await readFile(path.join(ROOT, shown), 'utf8').then(JSON.parse, () => undefined)) as BenchResults | undefined;
  return results && { results, jsonPath: shown };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log('settings', JSON.stringify(settings));
  const files = [];
  for (const size of settings.sizesMiB) files.push(await benchFile(size, settings.dir));

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      const started = performance.now();
      await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
      log(`stopped ${cleanup.name || 'one'} in ${Math.round(performance.now() - started)} ms`);
    }
  };
  try {
    const apps = new Map<string, AppServer>();
    let s3: S3TestServer | null = null;
    if (settings.stores.includes('local')) {
      const app = await startApp('local', {});
      cleanups.push(async function localApp() {
        await app.stop();
      });
      apps.set('local', app);
    }
    if (settings.stores.includes('s3')) {
      log(`starting the S3 test server (Ceph RGW, MEMSTORE_BYTES=${process.env.MEMSTORE_BYTES})`);
      s3 = await startS3TestServer();
      const server = s3;
      cleanups.push(async function s3Server() {
        await server.stop();
      });
      const app = await startApp('s3', s3.env);
      cleanups.push(async function s3App() {
        await app.stop();
      });
      // The page and the bucket are two origins: the bucket needs the CORS rules `airlift storage cors` writes.
      const admin = await createS3Store(s3.config);
      await admin.putBucketCors(corsRulesFor(app.baseUrl));
      await admin.close();
      apps.set('s3', app);
    }
    const tus = await startTus();
    cleanups.push(async function tusServer() {
      await tus.stop();
    });

    const profileDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      // The page script is added to the app's page, and tus's server is an origin the app's CSP does not list.
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
    cleanups.push(async function browser() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    });
    const browserPid = findChromiumBrowser(profileDir);
    if (!browserPid) throw new Error('Cannot find the Chromium browser process');
    const page = context.pages()[0] ?? (await context.newPage());

    const groups: Watched[] = [
      ...[...apps.values()].map((app) => ({ name: `app-${app.store}`, pids: () => [app.process.pid!] })),
      ...(s3 ? [{ name: 'rgw', pids: () => rgwPids(s3) }] : []),
      { name: 'tus', pids: () => [tus.process.pid!] },
      ...chromiumGroups(browserPid),
    ];
    const ctx: Context = { context, page, script: await bundlePageScript(), groups, s3 };
    const list = scenarios(apps, tus);
    log(`scenarios: ${list.map((s) => s.id).join(', ')}`);

    const smallest = files.reduce((a, b) => (a.size <= b.size ? a : b));
    for (let pass = 1; pass <= settings.warmupPasses; pass++) {
      log(`warm-up pass ${pass} (${smallest.sizeMiB} MiB, untimed)`);
      for (const scenario of runOrder(list, 0)) await measure(scenario, smallest, ctx, 0);
    }
    const measurements: Measurement[] = [];
    for (let r = 1; r <= settings.runs; r++) {
      for (const file of files) {
        log(`run ${r}/${settings.runs}, ${file.sizeMiB} MiB`);
        for (const scenario of runOrder(list, r - 1)) {
          const m = await measure(scenario, file, ctx, r);
          measurements.push(m);
          if (!m.error) log(`  ${scenario.id.padEnd(22)} ${m.mbps!.toFixed(0).padStart(5)} MB/s`);
        }
      }
    }
    const largest = files.reduce((a, b) => (a.size >= b.size ? a : b));
    const floor = settings.floor && s3 ? await measureFloor(largest) : null;
    const finishedAt = new Date();
    const results: BenchResults = {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      settings: { runs: settings.runs, sizesMiB: settings.sizesMiB, stores: settings.stores, warmupPasses: settings.warmupPasses, pauseMs: settings.pauseMs, memstoreBytes: process.env.MEMSTORE_BYTES },
      machine: {
        cpuModel: cpuModel(),
        cpus: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / GiB),
        kernel: os.release(),
        loadAverageAtEnd: os.loadavg(),
      },
      versions: await versions(),
      defaults: { concurrency: UPLOADER_DEFAULTS.concurrency, signBatchSize: UPLOADER_DEFAULTS.signBatchSize, singlePutMax: DEFAULT_PLAN.singlePutMax, resumablePutMax: RESUMABLE_PUT_PLAN.singlePutMax, preferredPartSize: DEFAULT_PLAN.preferredPartSize },
      scenarios: list.map(({ id, store, kind, label, server, client }) => ({ id, store, kind, label, server, client })),
      measurements,
      floor,
    };
    results.summary = summarise(results);
    const resultsDir = path.join(HERE, 'results');
    await mkdir(resultsDir, { recursive: true });
    const jsonPath = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(jsonPath, JSON.stringify(results, null, 2) + '\n');
    log(`raw results: ${path.relative(ROOT, jsonPath)}`);
    const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
    const report = renderReport(results, path.relative(ROOT, jsonPath), await lastShown(docs));
    if (settings.docs) {
      await mkdir(path.join(ROOT, 'docs'), { recursive: true });
      // The page keeps the section `npm run bench:api` writes.
      await writeFile(docs, keepSection(await readFile(docs, 'utf8').catch(() => ''), report));
      log('report: docs/BENCHMARKS.md');
    } else {
      console.log(report);
    }
  } finally {
    await stopAll();
  }
}

await main();
