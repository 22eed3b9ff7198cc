/**
 * A real S3 peer for tests: a throw-away Ceph RADOS Gateway on 127.0.0.1, started by
 * scripts/s3-test-server.sh. Use it as a vitest `globalSetup` (one gateway per test run,
 * its settings handed to tests with `inject('s3')`), or call `startS3TestServer` directly.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { freePort } from './net.ts';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import type { TestProject } from 'vitest/node';
import type { R2Config } from '../src/config.ts';

const SCRIPT = fileURLToPath(new URL('../scripts/s3-test-server.sh', import.meta.url));
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph', 'curl'];
export const APT_INSTALL = 'apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw curl';

export type S3TestEnv = Record<
  'R2_ENDPOINT_URL' | 'R2_ACCESS_KEY_ID' | 'R2_SECRET_ACCESS_KEY' | 'R2_BUCKET_NAME' | 'R2_REGION' | 'R2_FORCE_PATH_STYLE',
  string
>;

/** What tests receive from `inject('s3')`: plain data, so it crosses to the test workers. */
export interface S3TestContext {
  env: S3TestEnv;
  config: R2Config;
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestContext;
  }
}

export interface S3TestServer extends S3TestContext {
  dir: string;
  createBucket(name: string): Promise<void>;
  deleteBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

function missingBinaries(): string[] {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return BINARIES.filter(
    (bin) =>
      !dirs.some((dir) => {
        try {
          accessSync(path.join(dir, bin), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
}


function parseEnv(text: string): S3TestEnv {
  const env = Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.match(/^(R2_[A-Z_]+)=(.*)$/))
      .filter((m) => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Partial<S3TestEnv>;
  if (!env.R2_ENDPOINT_URL || !env.R2_ACCESS_KEY_ID || !env.R2_SECRET_ACCESS_KEY || !env.R2_BUCKET_NAME) {
    throw new Error(`scripts/s3-test-server.sh printed no R2_* settings:\n${text}`);
  }
  return env as S3TestEnv;
}

export function r2ConfigFrom(env: S3TestEnv): R2Config {
  return {
    accessKeyId: env.R2_ACCESS_KEY_ID,
    secretAccessKey: env.R2_SECRET_ACCESS_KEY,
    bucket: env.R2_BUCKET_NAME,
    endpoint: env.R2_ENDPOINT_URL,
    region: env.R2_REGION || 'auto',
    forcePathStyle: env.R2_FORCE_PATH_STYLE === 'true',
    cdnDomain: null,
  };
}

/** A client for test set-up only; region us-east-1 because RGW refuses CreateBucket with "auto". */
function adminClient(config: R2Config): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(config: R2Config, name: string): Promise<void> {
  const client = adminClient(config);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

/** Empties the bucket (objects and unfinished multipart uploads), then deletes it. */
export async function deleteBucket(config: R2Config, name: string): Promise<void> {
  const client = adminClient(config);
  try {
    for (;;) {
      const { Uploads = [] } = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
      for (const u of Uploads) await client.send(new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key, UploadId: u.UploadId }));
      const { Contents = [] } = await client.send(new ListObjectsV2Command({ Bucket: name }));
      for (const o of Contents) await client.send(new DeleteObjectCommand({ Bucket: name, Key: o.Key }));
      if (Uploads.length === 0 && Contents.length === 0) break;
    }
    await client.send(new DeleteBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

/** Starts a gateway on a free port (about 15 s cold); fails loudly when Ceph is not installed. */
export async function startS3TestServer(): Promise<S3TestServer> {
  const missing = missingBinaries();
  if (missing.length > 0) {
    throw new Error(`The S3 tests need a real Ceph RADOS Gateway, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed. Install with:\n  sudo ${APT_INSTALL}`);
  }
  const port = await freePort();
  let monPort = await freePort();
  while (monPort === port) monPort = await freePort();
  const dir = path.join(os.tmpdir(), `airlift-rgw-${port}`);
  const stopSync = () => {
    try {
      execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // best effort on exit: the normal path is stop()
    }
  };
  // If the test run dies without its teardown, still stop the daemons this process started.
  process.once('exit', stopSync);
  let stdout: string;
  try {
    // Room for what two test files at once keep in the gateway's RAM (it refuses writes once full).
    const env = { ...process.env, MEMSTORE_BYTES: process.env.MEMSTORE_BYTES ?? String(4 * 1024 ** 3) };
    ({ stdout } = await run('bash', [SCRIPT, 'start', dir, String(port), String(monPort)], { timeout: 180_000, env }));
  } catch (error) {
    stopSync();
    process.removeListener('exit', stopSync);
    const e = error as { stderr?: string; message: string };
    throw new Error(`Could not start the Ceph RADOS Gateway: ${e.stderr?.trim() || e.message}`, { cause: error });
  }
  const env = parseEnv(stdout);
  const config = r2ConfigFrom(env);
  return {
    dir,
    env,
    config,
    createBucket: (name) => createBucket(config, name),
    deleteBucket: (name) => deleteBucket(config, name),
    async stop() {
      process.removeListener('exit', stopSync);
      await run('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 });
    },
  };
}

// --- vitest globalSetup: one gateway per test run ---

let server: S3TestServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server ??= await startS3TestServer();
  project.provide('s3', { env: server.env, config: server.config });
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
