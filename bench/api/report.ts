/**
 * The load benchmark's figures: the raw results' shape, the medians of the throughput
 * windows (pure), and the "API under load" section of docs/BENCHMARKS.md written from them.
 */
import { median, spread, type Spread } from '../stats.ts';
import type { ApiBenchSettings, ConfigId } from './settings.ts';
import { TARGET_LABELS, warmupSeconds, type Target, type ThroughputMeasurement } from './throughput.ts';
import type { UploadPhase } from './uploads.ts';

export interface ApiBenchResults {
  startedAt: string;
  finishedAt: string;
  settings: ApiBenchSettings;
  machine: { cpuModel: string; cpus: number; memoryGiB: number; kernel: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  versions: Record<string, string>;
  configs: { id: ConfigId; label: string; database: string; store: string; instances: number }[];
  uploads: UploadPhase[];
  throughput: ThroughputMeasurement[];
}

export interface ThroughputRow {
  config: ConfigId | null;
  target: Target;
  runs: number;
  rps: Spread;
  /** Median rps ÷ the bare route's median rps. */
  ofBare: number;
  /** The app's CPU per request ÷ the bare app's: independent of the load generator, which shares the machine. */
  cpuOfBare: number;
  p50: number;
  p99: number;
  /** CPU cores the app's processes kept busy (CPU seconds per second). */
  appCores: number;
  /** CPU milliseconds per answered request, by process group, and of the load generator. */
  cpuMsPerRequest: Record<string, number>;
  clientCpuMsPerRequest: number;
  peakAppMiB: number;
  errors: number;
  firstError: string | null;
}

const MiB = 1024 ** 2;
const TARGETS: Target[] = ['presign', 'sign1', 'sign8'];

export function summariseThroughput(measurements: ThroughputMeasurement[]): ThroughputRow[] {
  const timed = measurements.filter((m) => m.run > 0);
  const row = (config: ConfigId | null, target: Target, bare: ThroughputRow | null): ThroughputRow | null => {
    const runs = timed.filter((m) => m.config === config && m.target === target);
    if (runs.length === 0) return null;
    const ok = (m: ThroughputMeasurement) => Math.max(1, m.requests - m.errors);
    const groups = new Set(runs.flatMap((m) => Object.keys(m.cpu)));
    const rps = spread(runs.map((m) => m.rps));
    const appCpuMs = median(runs.map((m) => ((m.cpu.app ?? 0) * 1000) / ok(m)));
    return {
      config,
      target,
      runs: runs.length,
      rps,
      ofBare: bare ? rps.median / bare.rps.median : 1,
      cpuOfBare: bare ? appCpuMs / bare.cpuMsPerRequest.app! : 1,
      p50: median(runs.map((m) => m.p50)),
      p99: median(runs.map((m) => m.p99)),
      appCores: median(runs.map((m) => (m.cpu.app ?? 0) / m.seconds)),
      cpuMsPerRequest: Object.fromEntries([...groups].map((g) => [g, median(runs.map((m) => ((m.cpu[g] ?? 0) * 1000) / ok(m)))])),
      clientCpuMsPerRequest: median(runs.map((m) => (m.clientCpu * 1000) / ok(m))),
      peakAppMiB: median(runs.map((m) => (m.peakRss.app ?? 0) / MiB)),
      errors: runs.reduce((sum, m) => sum + m.errors, 0),
      firstError: runs.find((m) => m.firstError)?.firstError ?? null,
    };
  };
  const bare = row(null, 'bare', null);
  if (!bare) return [];
  const configs = [...new Set(timed.map((m) => m.config).filter((c) => c !== null))];
  return [bare, ...configs.flatMap((config) => TARGETS.map((target) => row(config, target, bare)).filter((r) => r !== null))];
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '–');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function uploadsTable(results: ApiBenchResults): string {
  const label = (id: ConfigId) => results.configs.find((c) => c.id === id)?.label ?? id;
  const lines = [
    '| set-up | GB | wall s | MB/s, all together | s per upload, median (min–max) | API calls / PUTs | server CPU-s: app / PostgreSQL / RGW | peak RSS of the app, MiB | failed: upload / record missing / size or type / SHA-256 / read back / delete |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const u of results.uploads) {
    const v = u.verification;
    const cpu = ['app', 'postgres', 'rgw'].map((g) => (g in u.cpu ? f1(u.cpu[g]!) : '–')).join(' / ');
    lines.push(
      `| ${label(u.config)} | ${f2(u.bytes / 1e9)} | ${f1(u.wallMs / 1000)} | **${f0(u.mbps)}** | ${f1(u.uploadSeconds.median)} (${f1(u.uploadSeconds.min)}–${f1(u.uploadSeconds.max)}) | ${u.apiCalls} / ${u.puts} | ${cpu} | ${f0((u.peakRss.app ?? 0) / MiB)} | **${u.failures === 0 ? '0' : u.failures}**: ${v.uploadFailures} / ${v.missingRecords} / ${v.wrongSize} / ${v.hashMismatches} / ${v.readFailures} / ${u.deleteFailures} |`,
    );
  }
  return lines.join('\n');
}

function throughputTable(results: ApiBenchResults, rows: ThroughputRow[]): string {
  const label = (id: ConfigId | null) => (id === null ? 'bare Fastify app' : (results.configs.find((c) => c.id === id)?.label ?? id));
  const lines = [
    '| set-up | route | req/s, median (min–max) | ÷ bare | latency p50 / p99, ms | app cores busy | CPU ms per request: app / PostgreSQL | load generator CPU ms per request | peak RSS of the app, MiB | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const pg = r.cpuMsPerRequest.postgres;
    lines.push(
      `| ${label(r.config)} | ${TARGET_LABELS[r.target]} | **${f0(r.rps.median)}** (${f0(r.rps.min)}–${f0(r.rps.max)}) | ${r.target === 'bare' ? '1' : f3(r.ofBare)} | ${f1(r.p50)} / ${f1(r.p99)} | ${f2(r.appCores)} | ${f3(r.cpuMsPerRequest.app ?? NaN)} / ${pg === undefined ? '–' : f3(pg)} | ${f3(r.clientCpuMsPerRequest)} | ${f0(r.peakAppMiB)} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

export function renderApiSection(results: ApiBenchResults, jsonPath: string): string {
  const s = results.settings;
  const rows = summariseThroughput(results.throughput);
  const minutes = (Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 60_000;
  const v = results.versions;
  const m = results.machine;
  const totalGB = results.uploads[0] ? results.uploads[0].bytes / 1e9 : 0;
  const presign = rows.filter((r) => r.target === 'presign');
  const failures = results.uploads.reduce((sum, u) => sum + u.failures, 0);
  const label = (id: ConfigId | null) => results.configs.find((c) => c.id === id)?.label ?? String(id);
  const contended = Math.max(...m.loadAverageAtStart, ...m.loadAverageAtEnd) > m.cpus && rows.every((r) => r.appCores < 0.9);
  const out: string[] = [];
  out.push(`## API under load

\`npm run bench:api\` (bench/api.ts, bench/api/): many users' uploads at once against one
instance and against two, and the signing routes' requests per second beside a bare Fastify
route, in one run. Run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC${s.quick ? ' (**quick**: `BENCH_API_QUICK=1`, small files and short windows)' : ''}, ${plural(Math.round(minutes), 'minute')} in all; raw results in \`${jsonPath}\`.

\`\`\`sh
npm run bench:api                      # ${s.quick ? 'the full run: 50 uploads of 1–200 MB (about 5 GB) on each set-up, 5 runs of 5 s per route' : 'what this section shows'}
BENCH_API_QUICK=1 npm run bench:api    # a few minutes: files of 1–20 MB, 3 runs of 3 s
BENCH_API_CONFIGS=local BENCH_DOCS=0 npm run bench:api   # one set-up; leave this page alone
node --import tsx bench/api/render.ts bench/results/api-<time>.json   # this section again from a run's raw results
\`\`\`

Other settings: \`BENCH_API_UPLOADS\` (50), \`BENCH_API_MIN_MB\`/\`BENCH_API_MAX_MB\`, \`BENCH_API_SEED\`,
\`BENCH_API_PART_CONCURRENCY\` (4), \`BENCH_API_SIGN_BATCH\` (8), \`BENCH_API_RUNS\`, \`BENCH_API_SECONDS\`,
\`BENCH_API_CONNECTIONS\` (16), \`BENCH_POSTGRES_URL\` (a database to connect to for \`CREATE DATABASE\`;
default \`postgres://postgres@127.0.0.1:5432/postgres\`), \`MEMSTORE_BYTES\` (the S3 server's RAM store).

Machine: ${m.cpuModel}, ${m.cpus} cores, ${m.memoryGiB} GiB, kernel ${m.kernel}; load average ${m.loadAverageAtStart.map(f1).join(', ')} at the start and ${m.loadAverageAtEnd.map(f1).join(', ')} at the end (**other work shares the machine**: compare only inside one run). Node ${v.node}, Fastify ${v.fastify}, PGlite ${v.pglite}${v.postgres === 'not used' ? '' : `, PostgreSQL ${v.postgres}, ${v.radosgw}, @aws-sdk/client-s3 ${v['@aws-sdk/client-s3']}`}.

**Set-ups**, each started as users start Airlift (\`airlift user create --password-stdin\`, then \`airlift serve\`, configured by the environment, logs at \`info\` to /dev/null), on 127.0.0.1: ${results.configs.map((c) => `*${c.label}*`).join('; ')}.${results.configs.some((c) => c.instances > 1) ? ' The two instances share the database, the bucket and `SECRET_KEY`, and every call goes to the next instance in turn (create on one, sign on the other, …), as behind a round-robin load balancer; the user logs in on the first.' : ''}${results.configs.some((c) => c.database === 'PostgreSQL') ? " PostgreSQL is the machine's service, with a fresh database per set-up, dropped at the end; S3 is the test server (a Ceph RADOS Gateway keeping the data in RAM)." : ''}

### Concurrent uploads

${s.uploads} uploads started at once on each set-up, ${f2(totalGB)} GB in all: sizes drawn uniformly from ${s.minBytes / 1e6}–${s.maxBytes / 1e6} MB (seed ${s.seed}), every fifth a photo (at most 40 MB), and in turn the server's own plan (one PUT up to 256 MiB), 8 MiB parts and 16 MiB parts. The client is a small uploader of the bench's own (bench/api/uploader.ts), plain HTTP from Node as a user's script would do it: create, sign ${s.signBatch} part URLs per call, PUT ${s.partConcurrency} parts at a time streamed from the file on disk, complete, save the video or photo; no retries, so every failure counts. Then every record is looked up in the list API (size and type), every object is read back through its item's URL (\`/media/<key>\`, a redirect to a signed GET) and its SHA-256 compared with the file's, and every record is deleted through the API. CPU and peak RSS are the server side's over the uploads (not the read-back).

${uploadsTable(results)}

${failures === 0 ? '**No failure**: every object arrived whole (SHA-256 equal), every record is in the list with its size.' : `**${failures} failure(s)**: see the list below.`}

### Signing throughput

A closed loop of ${s.connections} clients on keep-alive connections (node:http, in the benchmark's own process), each sending its next request when the last answer is read, for ${s.seconds} s per window; ${plural(s.runs, 'run')}, each of every window, in an order rotated by one from run to run, after an untimed warm-up window of each (${warmupSeconds(s.seconds)} s). Presign creates a ticket (a row) and signs a single PUT of 100 MB; sign-part signs 1 or 8 part URLs of one multipart upload of 640 parts (16 MiB parts of 10 GiB). CPU per request is the process group's CPU over the window divided by the answered requests (PostgreSQL: the backends serving the set-up's database); "app cores busy" is the app's CPU seconds per second (both instances together for two). The bare app has no logger and no plugins; Airlift logs each request at \`info\` (to /dev/null), looks the session up in the database and checks the CSRF token's HMAC.

${throughputTable(results, rows)}

Presign ÷ bare, in requests per second: ${presign.map((r) => `${label(r.config)} **${f3(r.ofBare)}**`).join('; ')}. The app's CPU per request, presign ÷ bare: ${presign.map((r) => `${label(r.config)} ${f1(r.cpuOfBare)}×`).join('; ')}; sign-part, 8 per call ÷ bare: ${rows.filter((r) => r.target === 'sign8').map((r) => `${label(r.config)} ${f1(r.cpuOfBare)}×`).join('; ')}. The load generator runs on the same cores as the servers: where it spends more CPU per request than the server (the bare route), it, not the server, sets the pace, and the CPU ratio is the fairer one.${contended ? ` The machine was busier than its ${m.cpus} cores (load average above): no server process had a core to itself (the app kept at most ${f2(Math.max(...rows.map((r) => r.appCores)))} cores busy while its clients waited), so the requests per second are lower bounds and move from run to run; CPU per request is the figure to compare.` : ''}
`);
  const problems = results.uploads.flatMap((u) => u.verification.problems.map((p) => `${u.config}: ${p}`));
  const errors = rows.filter((r) => r.errors);
  if (problems.length || errors.length) {
    out.push('### Failures\n');
    for (const p of problems.slice(0, 50)) out.push(`- ${p}`);
    for (const r of errors) out.push(`- ${r.config ?? 'bare'} ${r.target}: ${r.errors} error(s), first: ${r.firstError}`);
    out.push('');
  }
  return out.join('\n');
}
