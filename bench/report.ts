/**
 * The benchmark's figures: medians and spreads of the raw measurements (pure), the targets of
 * issue 5 checked against them, and docs/BENCHMARKS.md written from them.
 */
import { median, spread, type Spread } from './stats.ts';

export interface ScenarioInfo {
  id: string;
  store: 'local' | 's3' | 'tus';
  kind: 'engine' | 'xhr' | 'curl' | 'uppy' | 'tus';
  label: string;
  /** The process groups that are the server side of this scenario (the app, the S3 gateway, the tus server). */
  server: string[];
  /** Who sends the bytes: Chromium (its processes) or curl. */
  client: 'chromium' | 'curl';
}

export interface Measurement {
  scenario: string;
  sizeMiB: number;
  run: number;
  /** The machine's one-minute load average when the upload ended (other work shares it). */
  load1?: number;
  ms?: number;
  /** 10^6 bytes per second. */
  mbps?: number;
  /** CPU seconds by process group over the upload. */
  cpu?: Record<string, number>;
  /** Peak RSS in bytes by process group over the upload. */
  peakRss?: Record<string, number>;
  apiCalls?: number;
  apiMs?: Record<string, number>;
  /** CPU seconds of the Node server's main thread and of its other threads. */
  serverThreads?: { main: number; others: number };
  plan?: { strategy: string; partSize: number; partCount: number; concurrency?: number };
  error?: string;
}

export interface SummaryRow {
  scenario: string;
  label: string;
  store: ScenarioInfo['store'];
  kind: ScenarioInfo['kind'];
  sizeMiB: number;
  runs: number;
  errors: string[];
  mbps: Spread;
  /** Median CPU seconds per 10^9 bytes, by process group, and for the server side, the client side and both. */
  cpuPerGB: Record<string, number>;
  serverCpuPerGB: number;
  clientCpuPerGB: number;
  totalCpuPerGB: number;
  /** Median peak RSS in MiB of the server side and of the client side. */
  peakServerMiB: number;
  peakClientMiB: number;
  apiCalls: number | null;
  /** Median time of the complete call (ms), for uploads through Airlift's API. */
  completeMs: number | null;
  /** Median CPU s/GB of the Node server's main thread and of its other threads. */
  serverThreadsPerGB: { main: number; others: number } | null;
  /** The plan of most runs (the first such run's). */
  plan: Measurement['plan'] | null;
  /** Every plan the runs took, as the table shows it, with how many runs took it, most first. */
  plans: { text: string; runs: number }[];
}

export interface TargetCheck {
  store: 'local' | 's3';
  sizeMiB: number;
  target: string;
  value: number;
  limit: string;
  met: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  settings: Record<string, unknown>;
  machine: { cpuModel: string; cpus: number; memoryGiB: number; kernel: string; loadAverageAtEnd: number[] };
  versions: Record<string, string>;
  /** `resumablePutMax`: the local store's single-PUT limit (absent from runs before it took one continued PUT). */
  defaults: { concurrency: number; signBatchSize: number; singlePutMax: number; resumablePutMax?: number; preferredPartSize: number };
  scenarios: ScenarioInfo[];
  measurements: Measurement[];
  summary?: { rows: SummaryRow[]; targets: TargetCheck[] };
  /** Chromium's CPU floor for a file in parts, measured in the same run (absent from runs before issue 13). */
  floor?: PartsFloor | null;
}

/** The raw results `npm run bench:send-methods` writes (bench/send-methods.ts). */
export interface SendMethodsResults {
  settings: { fileBytes: number };
  methods: { id: string; label: string; part?: number }[];
  rows: { method: string; run: number; cpu?: Record<string, number>; error?: string }[];
}

/** The cheapest way a page can send a file in parts, by Chromium's CPU per GB (median of its runs): what the engine's parts cannot go below. */
export interface PartsFloor {
  method: string;
  label: string;
  chromiumCpuPerGB: number;
  runs: number;
}

export function partsFloor(results: SendMethodsResults): PartsFloor | null {
  const gb = results.settings.fileBytes / 1e9;
  let best: PartsFloor | null = null;
  for (const method of results.methods.filter((m) => m.part !== undefined)) {
    const ok = results.rows.filter((row) => row.method === method.id && !row.error && row.cpu);
    if (!ok.length) continue;
    const chromiumCpuPerGB = median(ok.map((row) => Object.values(row.cpu!).reduce((a, b) => a + b, 0))) / gb;
    if (!best || chromiumCpuPerGB < best.chromiumCpuPerGB) best = { method: method.id, label: method.label, chromiumCpuPerGB, runs: ok.length };
  }
  return best;
}

const CHROMIUM_GROUPS = ['chromium-browser', 'chromium-network', 'chromium-renderer', 'chromium-other'];
const MiB = 1024 ** 2;

function clientGroups(info: ScenarioInfo): string[] {
  return info.client === 'curl' ? ['curl'] : CHROMIUM_GROUPS;
}

const completeTime = (apiMs: Record<string, number> | undefined) =>
  Object.entries(apiMs ?? {}).reduce((total, [what, ms]) => total + (/^POST .*\/complete$/.test(what) ? ms : 0), 0);

const sum = (record: Record<string, number> | undefined, names: string[]) => names.reduce((total, name) => total + (record?.[name] ?? 0), 0);

export function summarise(results: BenchResults): { rows: SummaryRow[]; targets: TargetCheck[] } {
  const rows: SummaryRow[] = [];
  for (const info of results.scenarios) {
    for (const sizeMiB of results.settings.sizesMiB as number[]) {
      const all = results.measurements.filter((m) => m.scenario === info.id && m.sizeMiB === sizeMiB && m.run > 0);
      const ok = all.filter((m) => !m.error);
      if (all.length === 0) continue;
      const gb = (sizeMiB * MiB) / 1e9;
      const perGB = (pick: (m: Measurement) => number) => median(ok.map((m) => pick(m) / gb));
      const groups = new Set(ok.flatMap((m) => Object.keys(m.cpu ?? {})));
      const cpuPerGB = Object.fromEntries([...groups].map((group) => [group, perGB((m) => m.cpu?.[group] ?? 0)]));
      const server = (m: Measurement) => sum(m.cpu, info.server);
      const client = (m: Measurement) => sum(m.cpu, clientGroups(info));
      rows.push({
        scenario: info.id,
        label: info.label,
        store: info.store,
        kind: info.kind,
        sizeMiB,
        runs: ok.length,
        errors: all.filter((m) => m.error).map((m) => m.error!),
        mbps: ok.length ? spread(ok.map((m) => m.mbps!)) : { median: NaN, min: NaN, max: NaN, n: 0 },
        cpuPerGB,
        serverCpuPerGB: perGB(server),
        clientCpuPerGB: perGB(client),
        totalCpuPerGB: perGB((m) => server(m) + client(m)),
        peakServerMiB: median(ok.map((m) => sum(m.peakRss, info.server) / MiB)),
        peakClientMiB: median(ok.map((m) => sum(m.peakRss, info.client === 'curl' ? [] : CHROMIUM_GROUPS) / MiB)),
        apiCalls: ok.some((m) => m.apiCalls !== undefined) ? median(ok.map((m) => m.apiCalls ?? 0)) : null,
        completeMs: ok.some((m) => m.apiMs) ? median(ok.map((m) => completeTime(m.apiMs))) : null,
        serverThreadsPerGB: ok.some((m) => m.serverThreads)
          ? { main: perGB((m) => m.serverThreads?.main ?? 0), others: perGB((m) => m.serverThreads?.others ?? 0) }
          : null,
        ...plansOf(ok),
      });
    }
  }

  const targets: TargetCheck[] = [];
  const row = (scenario: string, sizeMiB: number) => rows.find((r) => r.scenario === scenario && r.sizeMiB === sizeMiB && r.runs > 0);
  for (const store of ['local', 's3'] as const) {
    for (const sizeMiB of results.settings.sizesMiB as number[]) {
      const engine = row(`${store}/engine-default`, sizeMiB);
      if (!engine) continue;
      const xhr = row(`${store}/xhr`, sizeMiB);
      const uppy = row(`${store}/uppy`, sizeMiB);
      const tus = row('tus/tus', sizeMiB);
      if (uppy) {
        const value = engine.mbps.median / uppy.mbps.median;
        targets.push({ store, sizeMiB, target: 'faster than Uppy at its defaults (c)', value, limit: '> 1', met: value > 1 });
      }
      // On S3 a file in parts pays Chromium's sliced-Blob cost, which no page API avoids
      // (docs/SEND-METHODS.md): there the targets are restated (issue 13) against what the
      // cheapest way of sending parts costs, measured in the same run.
      const floor = results.floor;
      if (store === 's3' && engine.plan?.strategy === 'multipart' && xhr && floor) {
        const speed = engine.mbps.median / xhr.mbps.median;
        targets.push({ store, sizeMiB, target: 'speed vs one whole-file XHR PUT (b), restated for parts', value: speed, limit: '≥ 0.85', met: speed >= 0.85 });
        const cpu = engine.clientCpuPerGB / floor.chromiumCpuPerGB;
        targets.push({ store, sizeMiB, target: `Chromium's CPU per GB vs the cheapest way to send parts (\`${floor.method}\`)`, value: cpu, limit: '≤ 1.05', met: cpu <= 1.05 });
        continue;
      }
      if (tus) {
        const value = engine.mbps.median / tus.mbps.median;
        targets.push({ store, sizeMiB, target: 'faster than tus at its defaults (d)', value, limit: '> 1', met: value > 1 });
      }
      if (xhr) {
        const speed = engine.mbps.median / xhr.mbps.median;
        targets.push({ store, sizeMiB, target: 'speed vs one whole-file XHR PUT (b)', value: speed, limit: '≥ 0.9', met: speed >= 0.9 });
        const cpu = engine.totalCpuPerGB / xhr.totalCpuPerGB;
        targets.push({ store, sizeMiB, target: 'CPU per GB (server + Chromium) vs (b)', value: cpu, limit: '≤ 1.2', met: cpu <= 1.2 });
      }
    }
  }
  return { rows, targets };
}

// ---- docs/BENCHMARKS.md --------------------------------------------------------------------

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const mib = (bytes: number) => `${+(bytes / MiB).toFixed(2)} MiB`;

const STORE_NAME: Record<ScenarioInfo['store'], string> = { local: 'local store', s3: 'S3 (Ceph RGW)', tus: 'tus file store' };

function planText(plan: SummaryRow['plan']): string {
  if (!plan) return '';
  if (plan.strategy === 'single') return 'single PUT';
  return `${plan.partCount ? `${plan.partCount} × ` : ''}${mib(plan.partSize)} parts`;
}

/** The plans the runs took (the engine's follows the link it measured, so runs may differ), most runs first. */
function plansOf(runs: Measurement[]): Pick<SummaryRow, 'plan' | 'plans'> {
  const byText = new Map<string, { plan: NonNullable<Measurement['plan']>; text: string; runs: number }>();
  for (const { plan } of runs) {
    if (!plan) continue;
    const text = planText(plan);
    const seen = byText.get(text);
    if (seen) seen.runs += 1;
    else byText.set(text, { plan, text, runs: 1 });
  }
  const sorted = [...byText.values()].sort((a, b) => b.runs - a.runs);
  return { plan: sorted[0]?.plan ?? null, plans: sorted.map(({ text, runs }) => ({ text, runs })) };
}

/** The plan column: the one plan, or each with its runs. */
const plansText = (r: SummaryRow): string => (r.plans.length > 1 ? r.plans.map((p) => `${p.text} (${p.runs} run${p.runs > 1 ? 's' : ''})`).join('; ') : planText(r.plan));

function resultsTable(rows: SummaryRow[]): string {
  const lines = [
    '| store | uploader | MB/s median (min–max) | CPU s/GB server | Chromium browser / network / renderer / other (or curl) | total CPU s/GB | peak RSS MiB server / client | API calls | plan |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const client =
      r.kind === 'curl'
        ? `curl ${f2(r.cpuPerGB.curl ?? 0)}`
        : CHROMIUM_GROUPS.map((g) => f2(r.cpuPerGB[g] ?? 0)).join(' / ');
    const server = r.store === 's3' ? `${f2(r.serverCpuPerGB)} (app ${f2(r.cpuPerGB['app-s3'] ?? 0)} + RGW ${f2(r.cpuPerGB.rgw ?? 0)})` : f2(r.serverCpuPerGB);
    const failed = r.errors.length ? ` (${r.errors.length} failed)` : '';
    lines.push(
      `| ${STORE_NAME[r.store]} | ${r.label}${failed} | **${f0(r.mbps.median)}** (${f0(r.mbps.min)}–${f0(r.mbps.max)}) | ${server} | ${client} | **${f2(r.totalCpuPerGB)}** | ${f0(r.peakServerMiB)} / ${r.kind === 'curl' ? '–' : f0(r.peakClientMiB)} | ${r.apiCalls ?? '–'} | ${plansText(r)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Each target's ratio beside the last run's (the one docs/BENCHMARKS.md showed before), and
 * whether it got worse beyond the spread: the engine's own run-to-run range on that store
 * and file ((max − min) / median of its speed), in this run or that one, whichever is wider.
 */
export function againstLast(current: BenchResults, previous: BenchResults): string[] {
  const now = current.summary ?? summarise(current);
  const then = previous.summary ?? summarise(previous);
  const range = (rows: SummaryRow[], store: string, sizeMiB: number) => {
    const engine = rows.find((r) => r.scenario === `${store}/engine-default` && r.sizeMiB === sizeMiB);
    return engine && engine.mbps.n > 1 ? (engine.mbps.max - engine.mbps.min) / engine.mbps.median : 0;
  };
  const lines = ['| store | file | target | last run | this run | engine\'s range | worse beyond it |', '|---|---|---|---|---|---|---|'];
  for (const t of now.targets) {
    const last = then.targets.find((p) => p.store === t.store && p.sizeMiB === t.sizeMiB && p.target === t.target);
    const spreadNow = Math.max(range(now.rows, t.store, t.sizeMiB), range(then.rows, t.store, t.sizeMiB));
    const lowerIsBetter = t.limit.startsWith('≤');
    const worse = last ? (lowerIsBetter ? t.value > last.value * (1 + spreadNow) : t.value < last.value * (1 - spreadNow)) : false;
    const size = t.sizeMiB % 1024 === 0 ? `${t.sizeMiB / 1024} GiB` : `${t.sizeMiB} MiB`;
    lines.push(`| ${STORE_NAME[t.store]} | ${size} | ${t.target} | ${last ? last.value.toFixed(2) : 'new'} | ${t.value.toFixed(2)} | ${(spreadNow * 100).toFixed(0)} % | ${last ? (worse ? '**yes**' : 'no') : '—'} |`);
  }
  return lines;
}

export function renderReport(results: BenchResults, jsonPath: string, previous?: { results: BenchResults; jsonPath: string }): string {
  const { rows, targets } = results.summary ?? summarise(results);
  const sizes = results.settings.sizesMiB as number[];
  const runs = results.settings.runs as number;
  const minutes = (Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 60_000;
  const d = results.defaults;
  const v = results.versions;
  const sizeName = (s: number) => (s % 1024 === 0 ? `${s / 1024} GiB` : `${s} MiB`);

  const out: string[] = [];
  out.push(`# Upload benchmark

Airlift's browser upload engine against the simplest possible uploads and against the
peers, measured in one run on one machine (\`npm run bench\`, bench/run.ts). Absolute
figures differ two-fold between machines of this kind and move by ±20 % on a shared one:
**compare only inside one run**. This page is written by the benchmark; the raw
measurements of the run it shows are in \`${jsonPath}\`.

Run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC: ${runs} run(s) of every scenario, files of ${sizes.map(sizeName).join(' and ')}, ${f0(minutes)} minutes in all.

## How to run

\`\`\`sh
npm run bench                               # the full run: 256 MiB and 1 GiB files, 5 runs of every scenario
BENCH_RUNS=1 BENCH_SIZES=256 npm run bench  # a quick check (BENCH_DOCS=0 leaves this page alone)
BENCH_STORES=local BENCH_ONLY='engine|xhr' npm run bench   # some scenarios only
BENCH_FLOOR=0 npm run bench                 # without the parts floor (bench:send-methods) at the end
npm run bench:links                         # throttled links with cuts ("Real links", below)
BENCH_PROFILES=200@20,40@40 BENCH_SIZES=512 BENCH_RUNS=1 BENCH_SECTION=links-large npm run bench:links
\`\`\`

It needs Debian's Chromium (\`CHROMIUM_PATH\`, as the browser tests), curl, and Ceph's
\`ceph-mon ceph-osd radosgw\` for the S3 server (\`MEMSTORE_BYTES\`, 5 GiB by default here:
the gateway keeps the data in RAM). The test files (random bytes) are written once to
\`BENCH_DIR\` (default \`$TMPDIR/airlift-bench\`) and kept for later runs.

## Machine and versions

| | |
|---|---|
| CPU | ${results.machine.cpuModel}, ${results.machine.cpus} cores |
| memory | ${results.machine.memoryGiB} GiB |
| kernel | ${results.machine.kernel} |
| load average at the end | ${results.machine.loadAverageAtEnd.map(f2).join(', ')} (other work shares the machine) |
| Node | ${v.node} |
| Chromium | ${v.chromium} (playwright-core ${v['playwright-core']}) |
| Uppy | @uppy/core ${v['@uppy/core']}, @uppy/aws-s3 ${v['@uppy/aws-s3']} |
| tus | tus-js-client ${v['tus-js-client']}, @tus/server ${v['@tus/server']}, @tus/file-store ${v['@tus/file-store']} |
| S3 | ${v.radosgw}; Airlift's driver on @aws-sdk/client-s3 ${v['@aws-sdk/client-s3']} |
| curl | ${v.curl} |
| Airlift's server | Fastify ${v.fastify}, the embedded database (PGlite) |

## Method

- **Files**: random bytes (${sizes.map(sizeName).join(' and ')}), named \`.mp4\`, read once before the runs so they sit in the page cache.
- **Servers**, each a process of its own so that its CPU and memory are its own: Airlift as
  \`airlift serve\` builds it (bench/app-server.ts: \`buildApp\`, the embedded database, JSON
  logs at \`info\` to /dev/null), once with the local store and once with the S3 driver on
  the S3 test server (scripts/s3-test-server.sh: a Ceph RADOS Gateway with an in-RAM
  store); the tus server (bench/tus-server.ts: @tus/server with @tus/file-store, defaults).
  Everything listens on 127.0.0.1.
- **Browser**: Debian's Chromium through playwright-core with the browser tests' flags, one
  page. Before each browser scenario the page opens the app's library page (logged in), the
  bench script (bench/page-entry.ts, bundled with esbuild) is added to it, and the file is
  chosen in an \`<input type=file>\` with \`setInputFiles\` and its path, so Chromium reads
  it from disk as it does a user's file. The local store is the page's own origin; the S3
  gateway and the tus server are other origins (real CORS preflights).
- **Scenarios** (each on the local store and on S3; tus once, on its own store):
  - *Airlift engine*: \`createUploader\` wired as the app's pages wire it (XHR transport,
    resume store in localStorage, browser connectivity), at its defaults and at
    concurrency ${[1, 4, 6].filter((c) => c !== d.concurrency).join(' and ')} (the default, ${d.concurrency}, is the defaults row). The
    timed span covers the create call, every signing call, the parts and the complete call
    (in which the server checks the stored object).
  - *(a) curl*: \`curl -T <file> -H 'Content-Type: video/mp4' <URL>\` to a single-PUT URL the
    server presigned for the exact length; time is curl's \`time_total\`, CPU is curl's own.
  - *(b) XHR PUT*: one \`XMLHttpRequest\` PUT of the whole \`File\` from the same page to such
    a URL; timed from \`send()\` to \`load\`.
  - *(c) Uppy*: \`new Uppy().use(AwsS3, {companionEndpoint})\`, nothing else set. @uppy/aws-s3 6
    signs through Companion's protocol, a server-side signer, or browser-side
    credentials; Companion's is the one in which the backend creates and completes the
    multipart upload, as Airlift's API does, so the page answers Uppy's Companion calls
    with Airlift's API (create → \`POST /api/v1/uploads\` with Uppy's own chunk size as
    \`part_size\`, each part → \`POST /api/v1/uploads/:id/parts\`, list → \`GET\`,
    complete → \`POST …/complete\`, abort → \`DELETE\`). Uppy's defaults: multipart above
    100 MiB, chunks of size/10,000 but at least 5 MiB, **one part in flight per file**
    (its \`limit\` of 6 counts files), a signing call per part.
  - *(d) tus*: \`new tus.Upload(file, {endpoint, metadata})\` at its defaults (one PATCH of
    the whole file, \`chunkSize: Infinity\`), timed from \`start()\` to \`onSuccess\`.
- **Order**: one untimed warm-up pass of every scenario (${results.settings.warmupPasses} pass(es), the smallest file); then
  ${runs} runs, each of every size and scenario, the scenarios **interleaved** (run 1 of
  each, then run 2 of each, …): within a run the stores take turns (local, S3, tus, local,
  …) and each store's scenarios are rotated by one place from run to run. Before each
  upload: the previous upload's object deleted (and the S3 gateway's garbage collected),
  \`sync\`, a ${results.settings.pauseMs} ms pause, then a wait (at most 10 s) until the
  servers and Chromium are idle.
- **CPU**: user + system seconds from \`/proc/<pid>/stat\` (all threads, the local store's
  hashing worker included) over each upload, per 10^9 bytes, for the server side (the Airlift
  process; on S3 also the gateway's radosgw, OSD and monitor daemons; the tus server) and
  for Chromium's processes by \`--type\` (browser, network service, renderer, other). Peak
  memory: \`VmHWM\` of each process, reset before each upload (\`clear_refs\`), summed by side.
- **Figures**: median with min–max over the runs; MB/s are 10^6 bytes per second; the
  CPU columns are medians per group (so they need not add up to the total's median).
`);

  out.push(`## Results\n`);
  for (const sizeMiB of sizes) {
    out.push(`### ${sizeName(sizeMiB)}\n`);
    out.push(resultsTable(rows.filter((r) => r.sizeMiB === sizeMiB)));
    out.push('');
  }

  out.push(`## Targets (issues 5 and 13), as ratios inside this run\n`);
  out.push('The engine at its defaults against the peers at theirs, on the same store and file.' +
    (results.floor
      ? ` On S3 a file above the single-PUT limit goes in parts, and Chromium reads every part (a \`slice()\` of the File) through its browser process, which no page API avoids: there the speed is held to 0.85× the whole-file PUT, and Chromium's CPU per GB to within 5 % of the cheapest way \`npm run bench:send-methods\` finds to send a file in parts, measured in this run (${results.floor.label}: ${results.floor.chromiumCpuPerGB.toFixed(2)} CPU-s/GB, median of ${results.floor.runs} runs).\n`
      : '\n'));
  out.push('| store | file | target | ratio | limit | met |');
  out.push('|---|---|---|---|---|---|');
  for (const t of targets) out.push(`| ${STORE_NAME[t.store]} | ${sizeName(t.sizeMiB)} | ${t.target} | ${f2(t.value)} | ${t.limit} | ${t.met ? 'yes' : '**no**'} |`);
  const missed = targets.filter((t) => !t.met);
  out.push('');
  out.push(missed.length === 0 ? `All ${targets.length} targets are met in this run.` : `${targets.length - missed.length} of ${targets.length} targets are met in this run; missed: ${missed.map((t) => `${t.target} on the ${STORE_NAME[t.store]}, ${sizeName(t.sizeMiB)} (${f2(t.value)})`).join('; ')}.`);
  out.push('');
  if (previous) {
    out.push(`### Against the last run\n`);
    out.push(`The same ratios in the run this page showed before (\`${previous.jsonPath}\`, ${previous.results.startedAt.slice(0, 16).replace('T', ' ')} UTC): a ratio is worse beyond the spread when it moved the wrong way by more than the engine's own run-to-run range.\n`);
    out.push(...againstLast(results, previous.results));
    out.push('');
  }

  out.push(`## What the defaults chose\n`);
  out.push(
    `Server (\`planFor\` in src/uploads/rules.ts, from src/shared/plan.ts): on S3, one PUT of the whole file up to ${mib(d.singlePutMax)} (one wave of parallel parts), ` +
      `above that multipart with ${mib(d.preferredPartSize)} parts (raised in whole MiB to stay within 10,000 parts)` +
      (d.resumablePutMax
        ? `; on the local store, which keeps the bytes of a PUT cut short, one PUT up to S3's single-PUT limit (${mib(d.resumablePutMax)}), continued from those bytes after a cut, a pause or a reload. `
        : '. ') +
      `Engine (\`UPLOADER_DEFAULTS\` in src/client/engine.ts): ${d.concurrency} parts in flight, part URLs signed ${d.signBatchSize} per call; ` +
      'its plan follows the rate it measured (src/client/link-plan.ts), and from 800 Mbit/s, where Chromium\'s CPU rather than the link limits parts, ' +
      'it asks for one PUT of files up to 10 s of the link; ' +
      `a whole-file PUT to S3 that fails is not tried again whole: the file then goes in ${mib(d.preferredPartSize)} parts.\n`,
  );
  out.push('| file | store | strategy | part size | parts | API calls |');
  out.push('|---|---|---|---|---|---|');
  for (const r of rows.filter((r) => r.kind === 'engine' && r.scenario.endsWith('engine-default') && r.plan)) {
    out.push(`| ${sizeName(r.sizeMiB)} | ${STORE_NAME[r.store]} | ${r.plan!.strategy} | ${mib(r.plan!.partSize)} | ${r.plan!.partCount} | ${r.apiCalls ?? '–'} |`);
  }
  out.push('');
  out.push(
    (d.resumablePutMax ? 'On the local store a cut, a pause or a reload loses nothing: the PUT goes on from the bytes the store holds. On S3, uploads' : 'Uploads') +
    ` of any size stay resumable. Above ${mib(d.singlePutMax)} (or 10 s of a link of 800 Mbit/s and more), a cut or a reload loses at most the parts in flight ` +
      `(${d.concurrency} × ${mib(d.preferredPartSize)}), and the upload goes on from the parts the store holds. ` +
      `Up to ${mib(d.singlePutMax)}, a file in parts would have all of them in flight at once, so a cut or a reload would lose the whole ` +
      'of it in parts too; one PUT loses no more, and spares Chromium the sliced-Blob cost below. After a failure the file ' +
      'goes in parts, so a further failure costs one part.',
  );
  out.push('');
  out.push(whereTheCpuGoes(rows, sizes, sizeName));
  const failures = rows.filter((r) => r.errors.length);
  if (failures.length) {
    out.push('## Failed uploads\n');
    for (const r of failures) out.push(`- ${r.scenario}, ${sizeName(r.sizeMiB)}: ${[...new Set(r.errors)].join('; ')}`);
    out.push('');
  }
  return out.join('\n');
}

/** The section that explains the gaps, from this run's figures. */
function whereTheCpuGoes(rows: SummaryRow[], sizes: number[], sizeName: (s: number) => string): string {
  const largest = Math.max(...sizes);
  const at = (scenario: string) => rows.find((r) => r.scenario === scenario && r.sizeMiB === largest && r.runs > 0);
  const lines = [`## Where the time and the CPU go (${sizeName(largest)} file)\n`];
  const browser = (r: SummaryRow | undefined) => r?.cpuPerGB['chromium-browser'] ?? NaN;
  const network = (r: SummaryRow | undefined) => r?.cpuPerGB['chromium-network'] ?? NaN;
  for (const store of ['local', 's3'] as const) {
    const engine = at(`${store}/engine-default`);
    const xhr = at(`${store}/xhr`);
    if (!engine || !xhr) continue;
    if (engine.plan?.strategy === 'single') {
      lines.push(
        `- **Chromium, ${STORE_NAME[store]}**: the engine sends the file in one PUT of the whole \`File\`, which Chromium streams from disk in its network service ` +
          `as it does the XHR PUT: browser process ${f2(browser(engine))} and network service ${f2(network(engine))} CPU-s/GB, against ${f2(browser(xhr))} and ${f2(network(xhr))}.` +
          (store === 'local' ? ' The store keeps what arrives, so this PUT stays resumable: a cut costs no byte (docs/RESUME.md).' : ''),
      );
      continue;
    }
    lines.push(
      `- **Chromium, ${STORE_NAME[store]}**: the engine's parts cost the browser process ${f2(browser(engine))} CPU-s/GB and the network service ${f2(network(engine))}; ` +
        `the whole-file XHR PUT costs them ${f2(browser(xhr))} and ${f2(network(xhr))}. ` +
        `Chromium streams a whole \`File\` from disk in the network service; any other Blob (a \`slice()\`, which every part is, and tus's single PATCH too) is read by the browser process and piped to the network service. ` +
        `That is ${f2(browser(engine) + network(engine) - browser(xhr) - network(xhr))} CPU-s/GB more in Chromium, whatever the part size, the concurrency or the way the page sends a part (\`npm run bench:send-methods\`, below).`,
    );
  }
  const local = at('local/engine-default');
  const localXhr = at('local/xhr');
  if (local?.completeMs && local.plan?.strategy === 'single') {
    lines.push(`- **The local store's complete call** took ${f0(local.completeMs)} ms (median): the PUT's file was renamed into place once whole, so completing only checks the stored object.`);
  } else if (local?.completeMs && local.serverThreadsPerGB && localXhr?.serverThreadsPerGB) {
    const uploadMs = ((largest * MiB) / 1e6 / local.mbps.median) * 1000;
    lines.push(
      `- **The local store's complete call** took ${f0(local.completeMs)} ms (median), ${f0((local.completeMs / uploadMs) * 100)} % of the engine's whole upload: ` +
        'each part was written in place in one file as it arrived, so completing renames that file into place and copies nothing (src/storage/local/multipart.ts). ' +
        `The server's threads other than its main one (the hashing worker, libuv's file I/O pool) spent ${f2(local.serverThreadsPerGB.others)} CPU-s/GB for the engine against ${f2(localXhr.serverThreadsPerGB.others)} for the XHR PUT; ` +
        `its main (JavaScript) thread ${f2(local.serverThreadsPerGB.main)} against ${f2(localXhr.serverThreadsPerGB.main)}.`,
    );
  }
  const s3 = at('s3/engine-default');
  if (s3?.completeMs) lines.push(`- **S3's complete call** took ${f0(s3.completeMs)} ms (median): the gateway assembles parts without copying them.`);
  const tus = at('tus/tus');
  if (tus && s3) {
    lines.push(
      `- **tus** (d) runs against its own file store, which hashes nothing: its server spent ${f2(tus.serverCpuPerGB)} CPU-s/GB where the S3 side spent ${f2(s3.serverCpuPerGB)} on the engine's parts. ` +
        `Its one PATCH is a \`slice()\` of the whole file, so Chromium's browser process reads it (${f2(browser(tus))} CPU-s/GB).`,
    );
  }
  const uppy = at('local/uppy') ?? at('s3/uppy');
  if (uppy) {
    lines.push(
      `- **Uppy** at its defaults sends ${uppy.plan ? mib(uppy.plan.partSize) : 'small'} parts one at a time, each after its own signing call (${uppy.apiCalls ?? '–'} API calls): ` +
        'the link idles during every round trip, and every part pays the sliced-Blob cost.',
    );
  }
  lines.push(
    '',
    '## Tuning the defaults',
    '',
    'The engine does little per part: 64 MiB parts, part URLs signed 8 per call, no hashing in the page (unless `partChecksums` is on). ' +
      'Exploratory runs (`BENCH_ENGINE_VARIANTS=64x2,64x3,32x4,128x4`, then `32x6,48x6,32x8` on an idle machine: ' +
      'bench/results/2026-11-25T17-28-24-511Z.json; the 1 GiB file, both stores, parts then on the local store too) kept concurrency 2 to 8 ' +
      'and parts of 32 to 128 MiB within the run-to-run spread of the defaults; concurrency 1 was slower.',
    '',
    'What closed most of the gap, outside the engine: (1) the local store writes each part at its offset of one file and ' +
      'completes with a rename, where it used to copy every part into the object (2.4 s of a 6.5 s upload of 1 GiB); ' +
      "(2) the local store's ETag is a SHA-256 (0.55 CPU-s/GB with the CPU's SHA extensions) instead of an MD5 (1.30), " +
      'which it computes only to check a promised Content-MD5; (3) files up to one wave of parts go in one PUT; ' +
      '(4) the local store keeps the bytes of a PUT cut short and takes the rest with `Content-Range`, as tus does, so it ' +
      'takes files up to 5 GiB in one PUT that stays resumable: no sliced Blob, and a cut costs no byte.',
    '',
    'What remains, on S3, is the sliced-Blob cost of a file in parts. `npm run bench:send-methods` measures every way a page can ' +
      'send part of a file (XHR or fetch of `slice()`s of 16 to 256 MiB, one or four at a time, from the page or a Worker; ' +
      '`slice().arrayBuffer()`, FileReader; `new File([slice])`; FormData; a ReadableStream body, which Chromium refuses over ' +
      'HTTP/1.1): all cost the browser process about 2.4 to 3.1 CPU-s/GB, and those that read the bytes into the page move most of it ' +
      'to the renderer and cost more in all. Only a whole `File` (XHR or FormData) is read by the network service straight from disk: in ' +
      "Blink, `XMLHttpRequest.send()` turns a File with a path into a file element and any other Blob into a blob the browser " +
      'process pipes to the network service (64 KiB reads). No page API makes a file element for part of a file, so ' +
      "resumability's price in Chromium is that cost (docs/SEND-METHODS.md has the figures), and it is why the engine's CPU " +
      "per GB on a file in parts stays above the whole-file PUT's by the Chromium difference above.",
    '',
  );
  return lines.join('\n');
}
