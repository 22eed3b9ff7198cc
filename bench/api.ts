/**
 * Airlift's API under load: `npm run bench:api`. Not a test (it takes minutes and measures);
 * it fails (exit 1) only when an upload, a record or an object is wrong.
 *
 *   1. 50 uploads at once (1–200 MB, seeded; BENCH_API_QUICK=1 for 1–20 MB) on each set-up:
 *      one instance on PGlite + the local store, one on PostgreSQL + the S3 test server, two
 *      on one PostgreSQL database and one bucket (calls spread over both); every object read
 *      back and its SHA-256 compared, every record looked up in the list API.
 *   2. Requests per second of presign and sign-part on each set-up, beside a bare Fastify
 *      route, in interleaved runs, with the servers' CPU and peak memory.
 *
 * Writes bench/results/api-<time>.json and the "API under load" section of docs/BENCHMARKS.md
 * (BENCH_DOCS=0 prints it instead). Settings: bench/api/settings.ts.
 */
import { execFile } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startS3TestServer, type S3TestServer } from '../test/s3-server.ts';
import { deploy, type Deployment } from './api/deploy.ts';
import { planJobs, prepareFiles } from './api/files.ts';
import { renderApiSection, type ApiBenchResults } from './api/report.ts';
import { replaceSection } from './api/section.ts';
import { postgresVersion, startBare } from './api/servers.ts';
import { GiB, loadSettings } from './api/settings.ts';
import { measureThroughput } from './api/throughput.ts';
import { uploadPhase, type UploadPhase } from './api/uploads.ts';
import { cpuModel } from './procs.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

async function firstLine(command: string, args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(command, args)).stdout.trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

/** Reads the files once so they sit in the page cache, as a user's recent files would. */
async function warm(paths: string[]): Promise<void> {
  for (const file of paths) for await (const _ of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 }));
}

async function main(): Promise<number> {
  const settings = loadSettings();
  const startedAt = new Date();
  const loadAverageAtStart = os.loadavg();
  log('settings', JSON.stringify(settings));
  const files = await prepareFiles(planJobs(settings), settings.dir, log);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  await warm(files.map((f) => f.path));
  const needsS3 = settings.configs.some((c) => c !== 'local');
  // The gateway holds one set-up's objects at a time in RAM (they are deleted and collected in between).
  process.env.MEMSTORE_BYTES ??= String(Math.max(4 * GiB, Math.ceil(totalBytes * 1.3) + GiB));

  const cleanups: (() => Promise<void>)[] = [];
  try {
    let s3: S3TestServer | null = null;
    if (needsS3) {
      log(`starting the S3 test server (Ceph RGW, MEMSTORE_BYTES=${process.env.MEMSTORE_BYTES})`);
      s3 = await startS3TestServer();
      const server = s3;
      cleanups.push(() => server.stop());
    }
    const bare = await startBare();
    cleanups.push(() => bare.stop());
    const deployments: Deployment[] = [];
    for (const id of settings.configs) {
      log(`starting ${id}`);
      const deployment = await deploy(id, s3, settings.postgresAdminUrl);
      cleanups.push(() => deployment.stop());
      deployments.push(deployment);
    }

    const throughput = await measureThroughput(bare, deployments, settings, log);
    const uploads: UploadPhase[] = [];
    for (const deployment of deployments) uploads.push(await uploadPhase(deployment, files, settings, log));

    const results: ApiBenchResults = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      settings,
      machine: { cpuModel: cpuModel(), cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / GiB), kernel: os.release(), loadAverageAtStart, loadAverageAtEnd: os.loadavg() },
      versions: {
        node: process.version,
        fastify: packageVersion('fastify'),
        pglite: packageVersion('@electric-sql/pglite'),
        '@aws-sdk/client-s3': packageVersion('@aws-sdk/client-s3'),
        postgres: needsS3 ? await postgresVersion(settings.postgresAdminUrl) : 'not used',
        radosgw: needsS3 ? await firstLine('radosgw', ['--version']) : 'not used',
      },
      configs: deployments.map((d) => ({ id: d.id, label: d.label, database: d.database, store: d.store, instances: d.servers.length })),
      uploads,
      throughput,
    };
    const resultsDir = path.join(HERE, 'results');
    await mkdir(resultsDir, { recursive: true });
    const jsonPath = path.join(resultsDir, `api-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(jsonPath, JSON.stringify(results, null, 2) + '\n');
    log(`raw results: ${path.relative(ROOT, jsonPath)}`);
    const section = renderApiSection(results, path.relative(ROOT, jsonPath));
    if (settings.docs) {
      const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
      await writeFile(docs, replaceSection(await readFile(docs, 'utf8').catch(() => '# Benchmarks\n'), section));
      log('report: the "API under load" section of docs/BENCHMARKS.md');
    } else {
      console.log(section);
    }
    const failures = uploads.reduce((sum, u) => sum + u.failures, 0);
    log(failures === 0 ? 'no failure: every object and record checked' : `${failures} failure(s)`);
    return failures === 0 ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

process.exitCode = await main();
