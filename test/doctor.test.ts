/**
 * `airlift doctor` and `airlift storage cors` against real parts: fresh buckets on the Ceph RGW
 * of the test run, and a running test app for the local store. The CLI runs in this process
 * through `main(argv, env)`, as bin/airlift.js calls it, with its console output captured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { main } from '../src/cli.ts';
import { clockVerdict } from '../src/ops/doctor.ts';
import { corsRulesFor, createS3Store, type CORSRule } from '../src/storage/s3.ts';
import { freePort, freshPostgres, startTestApp } from './harness.ts';
import { createBucket, deleteBucket } from './s3-server.ts';

const ORIGIN = 'https://admin.example.com';
const FOREIGN_RULE: CORSRule = { AllowedOrigins: ['https://shop.example.com'], AllowedMethods: ['GET'], AllowedHeaders: ['*'], MaxAgeSeconds: 600 };

const s3 = inject('s3');
const buckets: string[] = [];
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-doctor-'));
});
afterAll(async () => {
  for (const bucket of buckets) await deleteBucket(s3.config, bucket);
  await rm(dataDir, { recursive: true, force: true });
});

async function freshBucket(rules?: CORSRule[]): Promise<string> {
  const bucket = `airlift-doctor-${process.pid}-${buckets.length}-${Math.random().toString(36).slice(2, 6)}`;
  await createBucket(s3.config, bucket);
  buckets.push(bucket);
  if (rules) {
    const store = await createS3Store({ ...s3.config, bucket });
    await store.putBucketCors(rules);
    await store.close();
  }
  return bucket;
}

/** The environment of an operator pointing Airlift at `bucket`. */
const s3Env = (bucket: string, extra: Record<string, string> = {}) => ({ ...s3.env, R2_BUCKET_NAME: bucket, DATA_DIR: dataDir, PUBLIC_BASE_URL: ORIGIN, ...extra });

/** `airlift <args>` in this process: exit code, and stdout and stderr as the operator sees them. */
async function airlift(args: string[], env: Record<string, string>): Promise<{ code: number; output: string; lines: string[] }> {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => void lines.push(...parts.join(' ').split('\n'));
  const log = vi.spyOn(console, 'log').mockImplementation(capture);
  const error = vi.spyOn(console, 'error').mockImplementation(capture);
  try {
    const code = await main(args, env);
    return { code, output: lines.join('\n'), lines };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** One check's verdict as `<symbol> <message>`, without the check's name. */
function line(lines: string[], check: string): string {
  const found = lines.find((l) => l.slice(2).startsWith(`${check}: `));
  return found ? `${found[0]} ${found.slice(check.length + 4)}` : `(no "${check}" line)`;
}

function expectNoSecrets(output: string) {
  expect(output).not.toContain(s3.env.R2_SECRET_ACCESS_KEY);
  expect(output).not.toMatch(/X-Amz-Signature|X-Amz-Credential|signature=/i);
}

async function objectsUnder(bucket: string, prefix: string): Promise<number> {
  const client = new S3Client({ endpoint: s3.config.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.config });
  try {
    return (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).KeyCount ?? 0;
  } finally {
    client.destroy();
  }
}

describe('airlift storage cors and doctor on an S3 bucket', () => {
  it('storage cors writes the upload rules and keeps other sites\' rules; doctor then passes', async () => {
    const bucket = await freshBucket([FOREIGN_RULE]);
    const postgres = await freshPostgres();
    try {
      const env = s3Env(bucket, { DATABASE_URL: postgres.url });

      const before = await airlift(['doctor'], env);
      expect(before.code).toBe(1);
      expect(line(before.lines, 'CORS')).toMatch(/^✗ .*No CORS rule lets https:\/\/admin\.example\.com send PUT/);

      const cors = await airlift(['storage', 'cors'], env);
      expect(cors.code).toBe(0);
      expect(cors.output).toMatch(/CORS rules before:\n {2}1\. origins +https:\/\/shop\.example\.com\n/);
      expect(cors.output).toMatch(/CORS rules after:\n {2}1\. origins +https:\/\/admin\.example\.com +← this site\n +methods +.*PUT/);
      expect(cors.output).toContain('kept 1 rule(s) for other origins');
      const rules = await (async () => {
        const store = await createS3Store({ ...s3.config, bucket });
        try {
          return (await store.getBucketCors())!;
        } finally {
          await store.close();
        }
      })();
      expect(rules).toHaveLength(2);
      expect(rules[0]).toMatchObject({ AllowedOrigins: [ORIGIN], ExposeHeaders: ['ETag'] });
      expect([...rules[0]!.AllowedMethods!].sort()).toEqual(['GET', 'HEAD', 'PUT']);
      expect(rules[1]).toMatchObject(FOREIGN_RULE);

      const again = await airlift(['storage', 'cors'], env);
      expect(again.code).toBe(0);
      expect(again.output).toContain('nothing written');

      const after = await airlift(['doctor'], env);
      expect(after.lines.filter((l) => /^[✓✗–] /.test(l)).map((l) => l[0])).toEqual(['✓', '✓', '✓', '✓', '✓', '✓']);
      expect(line(after.lines, 'Database')).toMatch(/PostgreSQL at 127\.0\.0\.1:5432\/airlift_test_\w+ answers, not migrated yet/);
      expect(line(after.lines, 'Upload round trip')).toContain('presigned PUT, HEAD, presigned GET (the same');
      expect(line(after.lines, 'Clock')).toMatch(/within \d+ s of the store's/);
      expect(after.output).toContain('All checks passed.');
      expect(after.code).toBe(0);
      expectNoSecrets(after.output + cors.output);
      expect(await objectsUnder(bucket, 'airlift-doctor/')).toBe(0);
    } finally {
      await postgres.drop();
    }
  });

  it('names rules from before the create-only condition, which lack If-None-Match', async () => {
    const old = corsRulesFor(ORIGIN).map((rule) => ({ ...rule, AllowedHeaders: ['content-type', 'content-md5', 'range'] }));
    const bucket = await freshBucket(old);
    const before = await airlift(['doctor'], s3Env(bucket));
    expect(line(before.lines, 'CORS')).toMatch(/^✗ .*if-none-match/);
    expect((await airlift(['storage', 'cors'], s3Env(bucket))).code).toBe(0);
    const after = await airlift(['doctor'], s3Env(bucket));
    expect(line(after.lines, 'CORS')).toMatch(/^✓ .*If-None-Match/);
  });

  it('names a wrong secret and an unknown key id, and skips what depends on them', async () => {
    const bucket = await freshBucket();
    const wrong = await airlift(['doctor'], s3Env(bucket, { R2_SECRET_ACCESS_KEY: 'not-the-secret-71c3' }));
    expect(wrong.code).toBe(1);
    expect(line(wrong.lines, 'Credentials and bucket')).toMatch(/^✗ .*rejected the request signature.*check R2_SECRET_ACCESS_KEY/);
    expect(line(wrong.lines, 'CORS')).toMatch(/^– not checked/);
    expect(line(wrong.lines, 'Upload round trip')).toMatch(/^– not checked/);
    expect(line(wrong.lines, 'Clock')).toMatch(/^✓/);
    expect(wrong.output).not.toContain('not-the-secret-71c3');
    expectNoSecrets(wrong.output);

    const unknown = await airlift(['doctor'], s3Env(bucket, { R2_ACCESS_KEY_ID: 'AIRLIFTNOSUCHKEY' }));
    expect(unknown.code).toBe(1);
    expect(line(unknown.lines, 'Credentials and bucket')).toMatch(/^✗ R2_ACCESS_KEY_ID is not a key the store at .* knows/);
  });

  it('names a missing bucket, in doctor and in storage cors', async () => {
    const env = s3Env('airlift-no-such-bucket');
    const doctor = await airlift(['doctor'], env);
    expect(doctor.code).toBe(1);
    expect(line(doctor.lines, 'Credentials and bucket')).toMatch(/^✗ There is no bucket "airlift-no-such-bucket" .*check R2_BUCKET_NAME/);
    const cors = await airlift(['storage', 'cors'], env);
    expect(cors.code).toBe(1);
    expect(cors.output).toMatch(/airlift storage: There is no bucket "airlift-no-such-bucket" .*check R2_BUCKET_NAME/);
  });

  it('names a bucket without CORS rules as the one failure, and the round trip still passes', async () => {
    const bucket = await freshBucket();
    const result = await airlift(['doctor'], s3Env(bucket));
    expect(result.code).toBe(1);
    expect(result.lines.filter((l) => l.startsWith('✗'))).toEqual([expect.stringMatching(/^✗ CORS: /)]);
    expect(line(result.lines, 'CORS')).toContain('The bucket has no CORS rules, so browsers on https://admin.example.com cannot upload to it: run "airlift storage cors".');
    expect(line(result.lines, 'Upload round trip')).toMatch(/^✓/);
    expect(result.output).toContain('1 check(s) failed.');
  });
});

describe('airlift storage cors and doctor on the local store', () => {
  it('passes with the app running, through its signed URLs', async () => {
    const app = await startTestApp();
    try {
      const env = { DATA_DIR: app.dataDir, PUBLIC_BASE_URL: app.baseUrl, LOG_LEVEL: 'silent' };
      const result = await airlift(['doctor'], env);
      expect(line(result.lines, 'Database')).toMatch(/^✓ the embedded database is in use by "test" \(process \d+.*as expected while the server runs/);
      expect(line(result.lines, 'CORS')).toMatch(/^✓ not needed/);
      expect(line(result.lines, 'Upload round trip through the running app')).toMatch(/^✓ presigned PUT at http:\/\/127\.0\.0\.1:\d+, HEAD, presigned GET/);
      expect(result.output).toContain('All checks passed.');
      expect(result.code).toBe(0);
      expectNoSecrets(result.output);

      const cors = await airlift(['storage', 'cors'], env);
      expect(cors.code).toBe(0);
      expect(cors.output).toContain('The local store needs no CORS rules');
    } finally {
      await app.close();
    }
  });

  it('says the app is not running, and names an unreachable database without its password', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-doctor-local-'));
    try {
      const base = `http://127.0.0.1:${await freePort()}`;
      const env = { DATA_DIR: dir, PUBLIC_BASE_URL: base, DATABASE_URL: 'postgres://airlift:hunter2-secret@127.0.0.1:1/airlift', LOG_LEVEL: 'silent' };
      const result = await airlift(['doctor'], env);
      expect(result.code).toBe(1);
      expect(line(result.lines, 'Database')).toMatch(/^✗ cannot use PostgreSQL at 127\.0\.0\.1:1\/airlift: .*ECONNREFUSED.*Check DATABASE_URL/);
      expect(line(result.lines, 'Upload round trip through the running app')).toBe(
        `✗ nothing answers at ${base} (ECONNREFUSED). This check goes through the running app's signed URLs: start it (npm start) and run doctor again; check PUBLIC_BASE_URL if it runs.`,
      );
      expect(line(result.lines, 'Clock')).toMatch(/^– not compared/);
      expect(result.output).not.toContain('hunter2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the webhooks verdict', () => {
  it('fails when an endpoint was added under another SECRET_KEY, and names it', async () => {
    const postgres = await freshPostgres();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-doctor-webhooks-'));
    try {
      const env = (secret: string) => ({
        DATA_DIR: dir,
        DATABASE_URL: postgres.url,
        SECRET_KEY: secret,
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        PUBLIC_BASE_URL: 'http://127.0.0.1:1',
        LOG_LEVEL: 'silent',
      });
      const first = 'first-secret-key-of-at-least-32-characters!';
      expect((await airlift(['migrate'], env(first))).code).toBe(0);
      const none = await airlift(['doctor'], env(first));
      expect(line(none.lines, 'Webhooks')).toBe('✓ none added.');
      const added = await airlift(['webhook', 'add', 'http://127.0.0.1:9/hook'], env(first));
      expect(added.code).toBe(0);
      const id = /Added webhook (\d+)/.exec(added.output)![1];
      expect(line((await airlift(['doctor'], env(first))).lines, 'Webhooks')).toBe('✓ 1 endpoint(s); every secret opens with this SECRET_KEY.');
      const rotated = await airlift(['doctor'], env('a-second-secret-key-of-at-least-32-chars'));
      expect(rotated.code).toBe(1);
      expect(line(rotated.lines, 'Webhooks')).toMatch(new RegExp(`^✗ 1 of 1 endpoint\\(s\\) \\(${id}\\) were added under another SECRET_KEY`));
    } finally {
      await rm(dir, { recursive: true, force: true });
      await postgres.drop();
    }
  });
});

describe('the clock verdict', () => {
  it('fails past 5 minutes either way and points at NTP', () => {
    expect(clockVerdict(30_000, "the store's")).toMatchObject({ status: 'pass', message: "within 30 s of the store's." });
    expect(clockVerdict(-299_000, "the store's").status).toBe('pass');
    const ahead = clockVerdict(7 * 60_000, "the store's");
    expect(ahead.status).toBe('fail');
    expect(ahead.message).toMatch(/7 min ahead of the store's.*NTP/);
    expect(clockVerdict(-20 * 60_000, "the store's").message).toMatch(/20 min behind/);
  });
});
