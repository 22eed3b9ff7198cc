/**
 * The library's list and search on 100,000 records (`npm run bench:library`), on the embedded
 * database (PGlite) and on PostgreSQL (a throw-away database, dropped after): per request, the
 * median and 99th percentile of the time the real service function (`listItems`) takes, and of
 * one request through HTTP. Writes the "Library list and search" section of docs/BENCHMARKS.md
 * and the figures to bench/results/library-<time>.json.
 *
 * LIBRARY_BENCH_RECORDS (100000), LIBRARY_BENCH_RUNS (200 per request), BENCH_POSTGRES_URL
 * (the PostgreSQL service's admin URL; `postgres://postgres@127.0.0.1:5432/test`).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { createUser } from '../src/auth/users.ts';
import { loadConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';
import { VIDEOS } from '../src/media/item-types.ts';
import { listItems } from '../src/media/service.ts';
import type { ListQuery } from '../src/shared/api.ts';
import { loginAs } from '../test/login.ts';
import { freePort } from '../test/net.ts';
import { replaceSection } from './api/section.ts';
import { percentile } from './stats.ts';

const RECORDS = Number(process.env.LIBRARY_BENCH_RECORDS ?? 100_000);
const RUNS = Number(process.env.LIBRARY_BENCH_RUNS ?? 200);
const WARMUP = 10;
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'benchmark password 1';

/** What is searched: a word in a quarter of the records, one in five of them, one written with accents that the records spell otherwise. */
const COMMON = 'journal';
const RARE = 'zanzibar';
const ACCENTED = 'ÉLÈVE';

interface Figure {
  engine: 'pglite' | 'postgres';
  request: string;
  through: 'service' | 'HTTP';
  p50: number;
  p99: number;
  /** Items on the page answered, and whether there is a next one. */
  items: number;
  more: boolean;
}

/**
 * The records, written by the database itself in batches (each statement well inside the
 * pool's 10 s query limit): ten kinds of title, four of description, a rare word in five
 * records, one a second apart so the newest sort has a real order.
 */
async function seed(db: Kysely<DB>, ownerId: number): Promise<number> {
  const started = performance.now();
  const BATCH = 10_000;
  for (let from = 1; from <= RECORDS; from += BATCH) {
    const to = Math.min(RECORDS, from + BATCH - 1);
    await sql`
      INSERT INTO videos (owner_id, title, description, file_key, size, content_type, created_at)
      SELECT ${ownerId},
        (ARRAY['Conseil municipal', 'Match de football', 'Reportage au marché', 'Interview du maire', 'Conférence de presse',
               'Marché de Noël', 'Élève au tableau', 'Inondations', 'Festival d’été', 'Portrait'])[1 + i % 10] || ' ' || i,
        CASE WHEN i % ${Math.max(1, Math.floor(RECORDS / 5))} = 7 THEN 'Escale à Zanzibar'
             ELSE (ARRAY['Tourné le matin', 'Images de la rédaction', 'Sujet du journal de 20 h', 'Archives'])[1 + (i * 7) % 4] END,
        'videos/bench-' || i || '.mp4', 1000000 + i, 'video/mp4',
        timestamptz '2026-01-01T00:00:00Z' + make_interval(secs => i)
      FROM generate_series(${from}::int, ${to}::int) AS i
    `.execute(db);
  }
  await sql`ANALYZE videos`.execute(db);
  return performance.now() - started;
}

async function timed(run: () => Promise<{ items: unknown[]; next_cursor: string | null }>): Promise<{ p50: number; p99: number; items: number; more: boolean }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  let last = { items: [] as unknown[], next_cursor: null as string | null };
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    last = await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), items: last.items.length, more: last.next_cursor !== null };
}

/** A throw-away PostgreSQL database, dropped by the function returned. */
async function throwAwayPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `airlift_bench_library_${process.pid}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function onEngine(engine: Figure['engine']): Promise<{ figures: Figure[]; seedMs: number; load: [number, number] }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-library-bench-'));
  const postgres = engine === 'postgres' ? await throwAwayPostgres() : null;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL: '0',
    ...(postgres && { DATABASE_URL: postgres.url }),
  });
  const app = await buildApp(config, { logger: false });
  try {
    await app.listen({ port, host: '127.0.0.1' });
    const owner = await createUser(app.db, { email: 'bench@example.com', password: PASSWORD, role: 'editor' });
    const seedMs = await seed(app.db, owner.id);
    const loadBefore = os.loadavg()[0]!;

    // Page 50 of the newest: 49 pages walked to get there, as a reader would.
    let page50: string | null = null;
    for (let page = 1; page < 50; page++) page50 = (await listItems(app, VIDEOS, { cursor: page50 ?? undefined })).next_cursor;
    const cases: [string, Partial<ListQuery>][] = [
      ['first page, newest', {}],
      ['page 50 by cursor, newest', { cursor: page50! }],
      ['first page, title sort', { sort: 'title' }],
      [`search a common word (“${COMMON}”, 1 in 4)`, { q: COMMON }],
      [`search a rare word (“${RARE}”, 5 records)`, { q: RARE }],
      [`search an accented word (“${ACCENTED}”, 1 in 10)`, { q: ACCENTED }],
      [`search two words (“eleve ${COMMON}”)`, { q: `eleve ${COMMON}` }],
    ];
    const figures: Figure[] = [];
    for (const [request, query] of cases) {
      figures.push({ engine, request, through: 'service', ...(await timed(() => listItems(app, VIDEOS, query))) });
      console.log(engine, request, figures.at(-1));
    }
    const session = await loginAs(baseUrl, 'bench@example.com', PASSWORD);
    const http = async (query: string) => (await fetch(`${baseUrl}/api/v1/videos${query}`, { headers: { cookie: session.cookie } })).json() as Promise<{ items: unknown[]; next_cursor: string | null }>;
    figures.push({ engine, request: 'first page, newest', through: 'HTTP', ...(await timed(() => http(''))) });
    figures.push({ engine, request: `search an accented word (“${ACCENTED}”)`, through: 'HTTP', ...(await timed(() => http(`?q=${encodeURIComponent(ACCENTED)}`))) });
    console.log(engine, 'HTTP', figures.slice(-2));
    return { figures, seedMs, load: [loadBefore, os.loadavg()[0]!] };
  } finally {
    await app.close();
    await postgres?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);

function render(results: Awaited<ReturnType<typeof onEngine>>[], postgresVersion: string, file: string): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const rows = results.flatMap((r) => r.figures).map((f) => `| ${f.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'} | ${f.request} | ${f.through} | ${ms(f.p50)} | ${ms(f.p99)} | ${f.items}${f.more ? '+' : ''} |`);
  return `## Library list and search

\`npm run bench:library\` (bench/library.ts): ${RECORDS.toLocaleString('en')} videos in one table, then each request
${RUNS} times after ${WARMUP} unmeasured ones, one at a time, through the service function the routes call
(\`listItems\`: the query, the cursors, the items as the API shapes them) and, for two of them, through HTTP
(\`GET /api/v1/videos\` with a session: login check, parsing, JSON). Times in milliseconds. A page is 24 items;
\`24+\` means a next page exists. The search is every word in the folded title and description (a trigram index),
the sorts keyset pages on \`(created_at, id)\` and \`(title_key, id)\` btrees (migration 2026-12-03-search).

Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}, ${os.type()};
PGlite ${PGLITE_VERSION}; ${postgresVersion}. Others' test suites ran on the machine at the same time: the one-minute
load average (\`uptime\`) was ${results.map((r) => `${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)} during the ${r === results[0] ? 'PGlite' : 'PostgreSQL'} run`).join(', ')}, on ${os.cpus().length} cores,
so the figures are upper bounds. Writing the records took ${results.map((r) => `${(r.seedMs / 1000).toFixed(1)} s`).join(' (PGlite) and ')} (PostgreSQL), indexes and generated columns included.
Raw figures: ${file}.

| database | request | through | p50 ms | p99 ms | items |
|---|---|---|---:|---:|---:|
${rows.join('\n')}
`;
}

const PGLITE_VERSION = (JSON.parse(await readFile(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return ((await client.query('SHOW server_version')).rows[0] as { server_version: string }).server_version.replace(/^/, 'PostgreSQL ');
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const results = [await onEngine('pglite'), await onEngine('postgres')];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = `bench/results/library-${stamp}.json`;
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(path.join(ROOT, file), JSON.stringify({ records: RECORDS, runs: RUNS, results }, null, 2));
  const docs = path.join(ROOT, 'docs/BENCHMARKS.md');
  await writeFile(docs, replaceSection(await readFile(docs, 'utf8').catch(() => '# Benchmarks\n'), render(results, await postgresVersion(), file), 'library'));
  console.log(`wrote ${file} and the "Library list and search" section of docs/BENCHMARKS.md`);
}

await main();
