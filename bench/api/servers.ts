/**
 * The processes of the load benchmark: Airlift as its users run it (`airlift user create`,
 * then `airlift serve`, configured by the environment), a bare Fastify app beside it, fresh
 * PostgreSQL databases, and the pids whose CPU and memory are measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../test/net.ts';
import type { S3TestServer } from '../../test/s3-server.ts';
import { readText, send } from './http.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'bin', 'airlift.js');

export interface Server {
  name: string;
  process: ChildProcess;
  baseUrl: string;
  stop(): Promise<void>;
}

/** Only what a server needs from our environment: no stray DATABASE_URL or R2_* of the caller's. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'];
  return { ...Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]])), ...env };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
}

/** Waits until `url` answers 200, or the process exits, or a minute passes. */
async function answers(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before it answered`);
    try {
      const response = await send(url, { idleMs: 5_000 });
      await readText(response);
      if (response.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${what} did not answer ${url} within a minute`);
}

/** `airlift user create --email E --password-stdin` with this environment. */
export async function createUser(env: Record<string, string>, email: string, password: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'user', 'create', '--email', email, '--password-stdin'], { env: cleanEnv(env), stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  child.stdin!.end(password + '\n');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`airlift user create failed (${code}): ${stderr.trim()}`);
}

/** `airlift serve` on a free port of 127.0.0.1; its JSON logs (level info) go to /dev/null, its errors to ours. */
export async function startAirlift(name: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: cleanEnv({ LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: baseUrl }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await answers(`${baseUrl}/login`, child, name);
  return { name, process: child, baseUrl, stop: () => stopChild(child) };
}

/** The reference: a minimal `fastify()` app with one `GET /` answering JSON, in a process of its own. */
export async function startBare(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'api', 'bare-server.ts')], {
    env: cleanEnv({ BARE_PORT: String(port) }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await answers(`${baseUrl}/`, child, 'the bare Fastify app');
  return { name: 'bare', process: child, baseUrl, stop: () => stopChild(child) };
}

/** A fresh database in the PostgreSQL service; `drop` removes it, connections and all. */
export async function freshDatabase(adminUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `airlift_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** The PostgreSQL server's version string. */
export async function postgresVersion(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v.split(' ')[0] ?? 'unknown';
  } finally {
    await client.end();
  }
}

/** The backends serving one database: PostgreSQL titles each "postgres: [<cluster>: ]<user> <database> <client> <state>". */
export function postgresBackends(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (/^postgres: (?:[^:\s]+: )?\S+ (\S+) /.exec(title)?.[1] === database) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The S3 gateway's daemons (radosgw, the OSD that holds the data in RAM, the monitor). */
export function rgwPids(server: S3TestServer): number[] {
  return ['client.rgw.test', 'osd.0', 'mon.a'].flatMap((daemon) => {
    try {
      return [Number(readFileSync(path.join(server.dir, 'run', `${daemon}.pid`), 'utf8').trim())];
    } catch {
      return [];
    }
  });
}
