/**
 * The load benchmark's settings, from the environment, checked once (`npm run bench:api`).
 * BENCH_API_QUICK=1 shrinks everything to a few minutes: small files, short windows.
 */
import os from 'node:os';
import path from 'node:path';

export const MB = 1e6;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

export type ConfigId = 'local' | 's3' | 's3x2';
export const CONFIG_IDS: ConfigId[] = ['local', 's3', 's3x2'];

function whole(name: string, fallback: number, min = 0): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
}

export interface ApiBenchSettings {
  quick: boolean;
  /** Which set-ups to run: local (PGlite + local store), s3 (PostgreSQL + S3), s3x2 (two instances of s3). */
  configs: ConfigId[];
  uploads: number;
  /** Upload sizes are drawn uniformly from [minBytes, maxBytes] with this seed. */
  seed: number;
  minBytes: number;
  maxBytes: number;
  /** Parts in flight per upload. */
  partConcurrency: number;
  /** Part URLs asked for per signing call. */
  signBatch: number;
  /** Throughput: interleaved runs, seconds per window, connections of the closed-loop generator. */
  runs: number;
  seconds: number;
  connections: number;
  dir: string;
  docs: boolean;
  postgresAdminUrl: string;
}

export function loadSettings(): ApiBenchSettings {
  const quick = /^(1|true|yes)$/i.test(process.env.BENCH_API_QUICK ?? '');
  const configs = (process.env.BENCH_API_CONFIGS || CONFIG_IDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const config of configs) if (!CONFIG_IDS.includes(config as ConfigId)) throw new Error(`BENCH_API_CONFIGS lists ${CONFIG_IDS.join(', ')}; got "${config}"`);
  const settings: ApiBenchSettings = {
    quick,
    configs: configs as ConfigId[],
    uploads: whole('BENCH_API_UPLOADS', 50, 1),
    seed: whole('BENCH_API_SEED', 11),
    minBytes: whole('BENCH_API_MIN_MB', 1, 1) * MB,
    maxBytes: whole('BENCH_API_MAX_MB', quick ? 20 : 200, 1) * MB,
    partConcurrency: whole('BENCH_API_PART_CONCURRENCY', 4, 1),
    signBatch: whole('BENCH_API_SIGN_BATCH', 8, 1),
    runs: whole('BENCH_API_RUNS', quick ? 3 : 5, 1),
    seconds: whole('BENCH_API_SECONDS', quick ? 3 : 5, 1),
    connections: whole('BENCH_API_CONNECTIONS', 16, 1),
    dir: path.join(process.env.BENCH_DIR || path.join(os.tmpdir(), 'airlift-bench'), 'api'),
    docs: process.env.BENCH_DOCS !== '0',
    postgresAdminUrl: process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  if (settings.maxBytes < settings.minBytes) throw new Error('BENCH_API_MAX_MB must be at least BENCH_API_MIN_MB');
  return settings;
}
