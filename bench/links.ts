/**
 * Uploads on real links: `npm run bench:links`. Not a test; it measures, in one run, what a
 * cut costs each way of uploading on throttled links, and writes the "Real links" section of
 * docs/BENCHMARKS.md and bench/results/links-<time>.json.
 *
 * The link is Chromium's own throttling (CDP `Network.emulateNetworkConditions`: upload
 * throughput and latency); a TCP proxy in front of each store (the local app, the S3 test
 * server, the tus server) cuts every connection for BENCH_CUT_MS at each of BENCH_CUTS % of
 * the file's bytes received, and counts the body bytes it relays (bytes sent again = those
 * minus the file's size). Clients, each at its defaults: Airlift's engine (after one untimed
 * upload on the profile, so it has measured the link as a returning user's page has), Uppy
 * @uppy/aws-s3 through Airlift's API, tus-js-client → @tus/server (once per profile, its own
 * store), and one whole-file XHR PUT sent again from zero a second after each failure.
 *
 * Settings (environment): BENCH_PROFILES ("8@80,40@40,200@20": Mbit/s @ ms), BENCH_SIZES in
 * MiB (64,512), BENCH_RUNS (3), BENCH_STORES (local,s3), BENCH_CLIENTS (engine,uppy,tus,xhr),
 * BENCH_CUTS (25,50,75), BENCH_CUT_MS (3000), BENCH_DIR, BENCH_DOCS=0 (print, leave the docs),
 * BENCH_SECTION (links; links-large writes a second section, for a run of other settings: the
 * large files, whose uploads at 8 Mbit/s take ten minutes each), BENCH_FROM (results JSONs,
 * comma-separated: write their section again from their rows together, measuring nothing).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { corsRulesFor, createS3Store } from '../src/storage/s3.ts';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../test/chromium.ts';
import { TcpProxy } from '../test/cut-proxy.ts';
import { freePort } from '../test/net.ts';
import { startS3TestServer, type S3TestServer } from '../test/s3-server.ts';
import { replaceSection, SECTIONS, type SectionName } from './api/section.ts';
import { benchFile, bundlePageScript, chromiumGroups, collectGarbage, INPUT_ID, intSetting, log, openPage, rgwPids, startApp, startTus, type AppServer, type BenchFile } from './harness.ts';
import { cpuBetween, cpuModel, findChromiumBrowser, sample, type Watched } from './procs.ts';
import { spread, type Spread } from './stats.ts';
import { withTimeout } from './timeout.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const list = (name: string, fallback: string) => (process.env[name] || fallback).split(',').map((s) => s.trim()).filter(Boolean);
const settings = {
  profiles: list('BENCH_PROFILES', '8@80,40@40,200@20').map((p) => {
    const match = /^(\d+)@(\d+)$/.exec(p);
    if (!match) throw new Error(`BENCH_PROFILES lists <Mbit/s>@<ms>, e.g. 8@80; got "${p}"`);
    return { mbit: Number(match[1]), latencyMs: Number(match[2]) };
  }),
  sizesMiB: list('BENCH_SIZES', '64,512').map(Number),
  runs: Math.max(1, intSetting('BENCH_RUNS', 3)),
  stores: list('BENCH_STORES', 'local,s3') as ('local' | 's3')[],
  clients: list('BENCH_CLIENTS', 'engine,uppy,tus,xhr'),
  cuts: list('BENCH_CUTS', '25,50,75').map(Number),
  cutMs: intSetting('BENCH_CUT_MS', 3000),
  dir: process.env.BENCH_DIR || path.join(os.tmpdir(), 'airlift-bench'),
  docs: process.env.BENCH_DOCS !== '0',
  section: (process.env.BENCH_SECTION || 'links') as SectionName,
};
if (!settings.section.startsWith('links') || !SECTIONS.includes(settings.section)) throw new Error(`BENCH_SECTION is links or links-large; got "${settings.section}"`);
process.env.MEMSTORE_BYTES ??= String(5 * GiB);

type Profile = (typeof settings.profiles)[number];
const rateOf = (profile: Profile) => (profile.mbit * 1e6) / 8;
const profileName = (profile: Profile) => `${profile.mbit} Mbit/s @ ${profile.latencyMs} ms`;

/** Each client's name in the tables. */
const LABELS = {
  engine: 'Airlift engine, defaults',
  uppy: 'Uppy @uppy/aws-s3, defaults',
  xhr: 'one XHR PUT, restarted from zero',
  tus: 'tus-js-client → @tus/server, defaults',
} as const;
type Client = keyof typeof LABELS;
const clientOf = (scenario: string) => scenario.split('/')[1] as Client;
const unknownClients = settings.clients.filter((client) => !Object.hasOwn(LABELS, client));
if (unknownClients.length > 0) throw new Error(`BENCH_CLIENTS lists ${Object.keys(LABELS).join(', ')}; got "${unknownClients.join(', ')}"`);

/** A store behind its cutting proxy, and the app whose page the uploads run in. */
interface Site {
  store: 'local' | 's3' | 'tus';
  app: AppServer;
  proxy: TcpProxy;
  server: string[];
}

interface Scenario {
  id: string;
  site: Site;
  label: string;
  run(page: Page, file: BenchFile): Promise<{ ms: number; apiCalls?: number; plan?: string; cleanup(): Promise<void> }>;
}

interface Row {
  scenario: string;
  profile: string;
  sizeMiB: number;
  run: number;
  ms?: number;
  resent?: number;
  cuts?: number;
  apiCalls?: number;
  /** The engine's plan: parts × size, and the upload's strategy. */
  plan?: string;
  cpuPerGB?: number;
  load1: number;
  error?: string;
}

/** Body bytes the store behind the proxy received: PUTs (parts, whole files) and tus's PATCHes. */
const bodyBytes = (proxy: TcpProxy) => proxy.requests.reduce((sum, r) => sum + (r.method === 'PUT' || r.method === 'PATCH' ? r.bodyBytes : 0), 0);

function scenariosFor(sites: Site[], tusEndpoint: string): Scenario[] {
  const out: Scenario[] = [];
  for (const site of sites) {
    const { app } = site;
    const removeKey = (key: string) => async () => void (await app.ask({ op: 'delete', key }));
    if (site.store === 'tus') {
      out.push({
        id: 'tus/tus',
        site,
        label: LABELS.tus,
        async run(page) {
          const outcome = await page.evaluate(([id, endpoint]) => window.airliftBench.tus(id, endpoint), [INPUT_ID, tusEndpoint] as const);
          return { ms: outcome.ms, cleanup: async () => undefined };
        },
      });
      continue;
    }
    out.push({
      id: `${site.store}/engine`,
      site,
      label: LABELS.engine,
      async run(page) {
        const outcome = await page.evaluate((id) => window.airliftBench.engine(id, {}), INPUT_ID);
        const plan = `${outcome.partCount} × ${Math.round(outcome.partSize / MiB)} MiB, ${outcome.strategy}`;
        return { ms: outcome.ms, apiCalls: outcome.apiCalls, plan, cleanup: removeKey(outcome.key) };
      },
    });
    out.push({
      id: `${site.store}/uppy`,
      site,
      label: LABELS.uppy,
      async run(page) {
        const outcome = await page.evaluate((id) => window.airliftBench.uppy(id), INPUT_ID);
        return { ms: outcome.ms, apiCalls: outcome.apiCalls, cleanup: removeKey(outcome.key) };
      },
    });
    out.push({
      id: `${site.store}/xhr`,
      site,
      label: LABELS.xhr,
      async run(page, file) {
        const key = `videos/bench-${randomUUID()}.mp4`;
        const put = (await app.ask({ op: 'presign', key, size: file.size, contentType: 'video/mp4' })) as { url: string; headers: Record<string, string> };
        const outcome = await page.evaluate(([id, u, h]) => window.airliftBench.xhrPutRestarting(id, u, h), [INPUT_ID, put.url, put.headers] as const);
        return { ms: outcome.ms, apiCalls: 0, cleanup: removeKey(key) };
      },
    });
  }
  return out.filter((s) => settings.clients.includes(clientOf(s.id)));
}

/** One CDP session per page: the conditions of a session left open would stay in force beside a newer one's. */
const sessions = new WeakMap<Page, CDPSession>();

async function throttle(page: Page, profile: Profile | null): Promise<void> {
  let cdp = sessions.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    sessions.set(page, cdp);
    await cdp.send('Network.enable');
  }
  await cdp.send('Network.emulateNetworkConditions', profile ? { offline: false, latency: profile.latencyMs, downloadThroughput: -1, uploadThroughput: rateOf(profile) } : { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}

interface Ctx {
  page: Page;
  context: BrowserContext;
  script: string;
  groups: Watched[];
  s3: S3TestServer | null;
}

/** One upload on the profile, with the cuts; its time, bytes sent again, API calls and CPU. */
async function measure(scenario: Scenario, profile: Profile, file: BenchFile, ctx: Ctx, run: number, cuts: number[]): Promise<Row> {
  const base = { scenario: scenario.id, profile: profileName(profile), sizeMiB: file.sizeMiB, run, load1: os.loadavg()[0]! };
  const { proxy } = scenario.site;
  try {
    if (scenario.site.store === 's3' && ctx.s3) await collectGarbage(ctx.s3);
    await openPage(ctx.context, ctx.page, scenario.site.app, file, ctx.script);
    await throttle(ctx.page, profile);
    proxy.forget();
    const before = sample(ctx.groups);
    const upload = withTimeout(scenario.run(ctx.page, file), 30 * 60_000);
    let done = false;
    void upload.then(
      () => (done = true),
      () => (done = true),
    );
    let cutsMade = 0;
    for (const at of cuts) {
      const reached = proxy.when(() => bodyBytes(proxy) >= (at / 100) * file.size);
      await Promise.race([reached, upload.catch(() => undefined)]);
      if (done) break;
      proxy.cut();
      cutsMade += 1;
      await sleep(settings.cutMs);
      proxy.restore();
    }
    const outcome = await upload;
    const after = sample(ctx.groups);
    const cpu = Object.values(cpuBetween(before, after)).reduce((a, b) => a + b, 0);
    await outcome.cleanup();
    return { ...base, ms: outcome.ms, resent: bodyBytes(proxy) - file.size, cuts: cutsMade, apiCalls: outcome.apiCalls, plan: outcome.plan, cpuPerGB: cpu / (file.size / GiB) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${scenario.id} failed: ${message}`);
    proxy.restore();
    await ctx.page.goto('about:blank').catch(() => undefined);
    return { ...base, error: message };
  }
}

function fmt(s: Spread | null, digits = 1, scale = 1): string {
  if (!s || !Number.isFinite(s.median)) return '—';
  const f = (v: number) => (v / scale).toFixed(digits);
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

type Settings = typeof settings;

/** The scenarios the rows measured, in the tables' order: each store's clients, then tus. */
function shownScenarios(rows: Row[], shown: Settings): { id: string; label: string; store: string }[] {
  const ids = new Set(rows.map((r) => r.scenario));
  const all = [...shown.stores.flatMap((store) => ['engine', 'uppy', 'xhr'].map((client) => `${store}/${client}`)), 'tus/tus'];
  return all.filter((id) => ids.has(id)).map((id) => ({ id, label: LABELS[clientOf(id)], store: id.split('/')[0]! }));
}

function render(rows: Row[], settings: Settings, meta: { startedAt: string; finishedAt: string; load: number[]; cpu: string; complete: boolean }): string {
  const scenarios = shownScenarios(rows, settings);
  // Counted from the rows: runs merged from several results (BENCH_FROM) may each hold other profiles.
  const runs = settings.profiles.flatMap((profile) =>
    settings.sizesMiB.map((sizeMiB) => ({ of: `${sizeMiB} MiB at ${profileName(profile)}`, n: new Set(rows.filter((r) => r.profile === profileName(profile) && r.sizeMiB === sizeMiB).map((r) => r.run)).size })),
  ).filter(({ n }) => n > 0);
  const runsShown = runs.every(({ n }) => n === runs[0]!.n) ? `${runs[0]!.n} run(s)` : `runs: ${runs.map(({ of, n }) => `${n} of ${of}`).join(', ')}`;
  const lines: string[] = [
    settings.section === 'links' ? '## Real links' : '### Real links: large files',
    '',
    `${meta.complete ? '' : `Partial (${rows.length} uploads so far): `}\`npm run bench:links\`, ${meta.startedAt.slice(0, 16).replace('T', ' ')} to ${meta.finishedAt.slice(meta.finishedAt.startsWith(meta.startedAt.slice(0, 10)) ? 11 : 0, 16).replace('T', ' ')} UTC, on ${meta.cpu} (${os.cpus().length} cores), ` +
      `load average at the end ${meta.load.map((l) => l.toFixed(1)).join(' / ')} (other work ran on the machine: compare only inside this run). ` +
      `Settings: profiles ${settings.profiles.map(profileName).join(', ')}; files ${settings.sizesMiB.join(', ')} MiB; stores ${settings.stores.join(', ')} (+ tus's own); ` +
      `${runsShown}, scenarios interleaved; every connection cut for ${settings.cutMs / 1000} s at ${settings.cuts.join(' / ')} % of the file's bytes received at the proxy. ` +
      'Link: Chromium\'s throttling (CDP `Network.emulateNetworkConditions`, upload throughput and latency). Bytes sent again: body bytes the proxy relayed minus the file. ' +
      'CPU: the app, the S3 gateway, tus and Chromium (all processes), per GB of file; on a slow link it is mostly what these processes spend idling while the upload lasts, so compare it only inside a profile. The engine had one untimed upload on each profile first (a returning user\'s remembered link).',
    '',
    '| profile | file | client | store | time to finish, s | sent again, MiB | per cut, s of link | API calls | CPU-s/GB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const targets: string[] = ['| profile | file | store | target | ratio | met |', '|---|---|---|---|---|---|'];
  for (const profile of settings.profiles) {
    for (const sizeMiB of settings.sizesMiB) {
      const times = new Map<string, number>();
      for (const scenario of scenarios) {
        const ok = rows.filter((r) => r.scenario === scenario.id && r.profile === profileName(profile) && r.sizeMiB === sizeMiB && !r.error);
        const failed = rows.filter((r) => r.scenario === scenario.id && r.profile === profileName(profile) && r.sizeMiB === sizeMiB && r.error).length;
        if (!ok.length && !failed) continue;
        const pick = (f: (r: Row) => number | undefined) => {
          const values = ok.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
          return values.length ? spread(values) : null;
        };
        const time = pick((r) => r.ms);
        const perCut = pick((r) => (r.cuts ? r.resent! / r.cuts / rateOf(profile) : undefined));
        if (time) times.set(scenario.id, time.median);
        lines.push(
          `| ${profileName(profile)} | ${sizeMiB} MiB | ${scenario.label}${failed ? ` (${failed} failed)` : ''} | ${scenario.store} | ${fmt(time, 1, 1000)} | ${fmt(pick((r) => r.resent), 1, MiB)} | ${fmt(perCut)} | ${fmt(pick((r) => r.apiCalls), 0)} | ${fmt(pick((r) => r.cpuPerGB))} |`,
        );
        if (scenario.id.endsWith('/engine') && perCut) {
          const ratio = perCut.max / 10;
          targets.push(`| ${profileName(profile)} | ${sizeMiB} MiB | ${scenario.store} | engine's bytes sent again per cut ≤ 10 s × rate (worst run) | ${ratio.toFixed(2)} | ${ratio <= 1 ? 'yes' : 'no'} |`);
        }
      }
      for (const store of settings.stores) {
        const engine = times.get(`${store}/engine`);
        const others = [...times].filter(([id]) => !id.endsWith('/engine') && (id.startsWith(`${store}/`) || id.startsWith('tus/')));
        if (engine === undefined || !others.length) continue;
        const fastest = Math.min(...others.map(([, t]) => t));
        const ratio = engine / fastest;
        targets.push(`| ${profileName(profile)} | ${sizeMiB} MiB | ${store} | engine's time ÷ the fastest other client's (≤ 1.05) | ${ratio.toFixed(3)} | ${ratio <= 1.05 ? 'yes' : 'no'} |`);
      }
    }
  }
  const why = [
    '',
    'Where the engine trails tus on S3, it is by the bytes a cut costs there: S3 and R2 keep nothing of a part whose PUT was cut, and a part is 5 MiB at least, ' +
      'so each part in flight goes again from its first byte (half a part each, on average), where tus\'s server keeps every byte that arrived. ' +
      'On the local store the engine\'s PUT goes on from the bytes the store kept, as tus does. Uppy at its defaults gives up at a cut: its requests retry three times within a second, and a 3 s outage outlasts them.',
  ];
  return [...lines, '', `${settings.section === 'links' ? '###' : '####'} Targets (ratios inside this run)`, '', ...targets, ...why].join('\n');
}

interface Saved {
  startedAt: string;
  finishedAt: string;
  complete?: boolean;
  settings: Settings;
  machine: { cpu: string; loadAverageAtEnd: number[] };
  rows: Row[];
}

/** The settings that make two runs' rows comparable: the cuts and the stores. */
const sameSetup = (a: Settings, b: Settings) => a.cutMs === b.cutMs && a.cuts.join() === b.cuts.join() && a.stores.join() === b.stores.join();

/**
 * BENCH_FROM=<results JSON>[,<more>]: the docs section written again from runs' raw results
 * (after a run stopped early, a change of wording, or runs of one long profile made apart:
 * their rows together, their runs numbered on).
 */
async function renderFrom(files: string[]): Promise<void> {
  const saved = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as Saved));
  const first = saved[0]!;
  const rows: Row[] = [];
  let runs = 0;
  const profiles: Profile[] = [];
  const sizesMiB: number[] = [];
  for (const [i, one] of saved.entries()) {
    if (!sameSetup(first.settings, one.settings)) throw new Error(`${files[i]} was run with other cuts or stores than ${files[0]}: its rows would not compare`);
    rows.push(...one.rows.map((row) => ({ ...row, run: row.run + runs })));
    runs += one.settings.runs;
    for (const profile of one.settings.profiles) if (!profiles.some((p) => profileName(p) === profileName(profile))) profiles.push(profile);
    for (const size of one.settings.sizesMiB) if (!sizesMiB.includes(size)) sizesMiB.push(size);
  }
  const last = saved.reduce((a, b) => (a.finishedAt > b.finishedAt ? a : b));
  const shown = { ...first.settings, profiles, sizesMiB, runs, section: settings.section };
  const meta = { startedAt: first.startedAt, finishedAt: last.finishedAt, load: last.machine.loadAverageAtEnd, cpu: first.machine.cpu, complete: saved.every((one) => one.complete ?? true) };
  const section = render(rows, shown, meta) + `\n\nRaw results: ${files.map((file) => `\`${path.relative(ROOT, path.resolve(file))}\``).join(', ')}.`;
  const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  await writeFile(docs, replaceSection(await readFile(docs, 'utf8'), section, settings.section));
  log(`report: docs/BENCHMARKS.md, section ${settings.section}, from ${files.join(', ')}`);
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  log('settings', JSON.stringify(settings));
  const files: BenchFile[] = [];
  for (const size of settings.sizesMiB) files.push(await benchFile(size, settings.dir));
  // The engine measures the link over at least 2 s of sending: the untimed upload lasts 6 s at the profile's rate.
  const warmups = new Map<Profile, BenchFile>();
  for (const profile of settings.profiles) warmups.set(profile, await benchFile(Math.min(256, Math.max(16, Math.ceil((rateOf(profile) * 6) / MiB))), settings.dir));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const sites: Site[] = [];
    let s3: S3TestServer | null = null;
    const proxied = async (target: number) => {
      const proxy = new TcpProxy(target);
      const port = await freePort();
      await proxy.open(port);
      cleanups.push(() => proxy.close());
      return { proxy, port };
    };
    let localApp: AppServer | null = null;
    if (settings.stores.includes('local') || settings.clients.includes('tus')) {
      // The local store is the app itself: the page reaches it through the proxy.
      const appPort = await freePort();
      const { proxy, port } = await proxied(appPort);
      localApp = await startApp('local', {}, { port: appPort, publicBaseUrl: `http://127.0.0.1:${port}` });
      const app = localApp;
      cleanups.push(() => app.stop());
      if (settings.stores.includes('local')) sites.push({ store: 'local', app, proxy, server: ['app-local'] });
    }
    if (settings.stores.includes('s3')) {
      s3 = await startS3TestServer();
      const server = s3;
      cleanups.push(() => server.stop());
      const { proxy, port } = await proxied(Number(new URL(s3.env.R2_ENDPOINT_URL).port));
      const app = await startApp('s3', { ...s3.env, R2_ENDPOINT_URL: `http://127.0.0.1:${port}` });
      cleanups.push(() => app.stop());
      const admin = await createS3Store(s3.config);
      await admin.putBucketCors(corsRulesFor(app.baseUrl));
      await admin.close();
      sites.push({ store: 's3', app, proxy, server: ['app-s3', 'rgw'] });
    }
    const tus = await startTus();
    cleanups.push(() => tus.stop());
    const tusProxy = await proxied(Number(new URL(tus.endpoint).port));
    const tusEndpoint = `http://127.0.0.1:${tusProxy.port}${new URL(tus.endpoint).pathname}`;
    if (settings.clients.includes('tus') && localApp) sites.push({ store: 'tus', app: localApp, proxy: tusProxy.proxy, server: ['tus'] });

    const profileDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, bypassCSP: true, viewport: { width: 1280, height: 900 } });
    cleanups.push(async () => {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    });
    const browserPid = findChromiumBrowser(profileDir);
    if (!browserPid) throw new Error('Cannot find the Chromium browser process');
    const groups: Watched[] = [
      ...sites.filter((s) => s.store !== 'tus').map((s) => ({ name: `app-${s.store}`, pids: () => [s.app.process.pid!] })),
      ...(s3 ? [{ name: 'rgw', pids: () => rgwPids(s3) }] : []),
      { name: 'tus', pids: () => [tus.process.pid!] },
      ...chromiumGroups(browserPid),
    ];
    const ctx: Ctx = { page: context.pages()[0] ?? (await context.newPage()), context, script: await bundlePageScript(), groups, s3 };
    const scenarios = scenariosFor(sites, tusEndpoint);
    log(`scenarios: ${scenarios.map((s) => s.id).join(', ')}`);

    const rows: Row[] = [];
    const resultsDir = path.join(HERE, 'results');
    await mkdir(resultsDir, { recursive: true });
    const json = path.join(resultsDir, `links-${startedAt.replace(/[:.]/g, '-')}.json`);
    // Written after every upload, so a run stopped early (they last hours) keeps what it measured.
    const save = async (complete: boolean) => {
      const finishedAt = new Date().toISOString();
      await writeFile(json, JSON.stringify({ startedAt, finishedAt, complete, settings, machine: { cpu: cpuModel(), cpus: os.cpus().length, loadAverageAtEnd: os.loadavg() }, rows }, null, 2) + '\n');
      const section = render(rows, settings, { startedAt, finishedAt, load: os.loadavg(), cpu: cpuModel(), complete }) + `\n\nRaw results: \`${path.relative(ROOT, json)}\`.`;
      if (settings.docs) {
        const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
        await writeFile(docs, replaceSection(await readFile(docs, 'utf8'), section, settings.section));
      } else if (complete) console.log(section);
    };
    for (let run = 1; run <= settings.runs; run++) {
      for (const profile of settings.profiles) {
        // The engine's page measures the link once, untimed and uncut, as a returning user's has.
        for (const scenario of scenarios.filter((s) => s.id.endsWith('/engine'))) await measure(scenario, profile, warmups.get(profile)!, ctx, 0, []);
        for (const file of files) {
          const k = run - 1 + settings.profiles.indexOf(profile);
          const order = [...scenarios.slice(k % scenarios.length), ...scenarios.slice(0, k % scenarios.length)];
          for (const scenario of order) {
            const row = await measure(scenario, profile, file, ctx, run, settings.cuts);
            rows.push(row);
            await save(false);
            if (!row.error) log(`  run ${run} ${profileName(profile)} ${file.sizeMiB} MiB ${scenario.id.padEnd(12)} ${(row.ms! / 1000).toFixed(1)} s, sent again ${(row.resent! / MiB).toFixed(1)} MiB over ${row.cuts} cut(s)${row.plan ? ` (${row.plan})` : ''}`);
          }
        }
      }
    }
    await ctx.page.goto('about:blank');
    await throttle(ctx.page, null);
    await save(true);
    if (settings.docs) log(`report: docs/BENCHMARKS.md, section ${settings.section}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

if (process.env.BENCH_FROM) await renderFrom(list('BENCH_FROM', ''));
else await main();
