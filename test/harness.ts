/**
 * A real Airlift server for tests: listening on 127.0.0.1, on a fresh DATA_DIR, with the
 * embedded or PostgreSQL database and the local store or the S3 test server. Tests talk to
 * it over HTTP as a browser or a script would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from './net.ts';
import { loginAs, type Session } from './login.ts';

export { freePort };
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp, type AppParts } from '../src/app.ts';
import { createUser } from '../src/auth/users.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/index.ts';
import { applyCors } from '../src/ops/cors.ts';
import { createBucket, deleteBucket } from './s3-server.ts';

export const TEST_PASSWORD = 'correct horse battery staple';
/** The PostgreSQL service tests may use; each test app gets a database of its own in it. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';


export interface TestApp {
  app: FastifyInstance;
  config: Config;
  baseUrl: string;
  dataDir: string;
  /** Creates a user and returns a logged-in session for it. */
  login(email?: string, options?: { admin?: boolean }): Promise<Session>;
  /** fetch against the app with a session's cookie and CSRF header. */
  request(method: string, path: string, options?: { session?: Session; json?: unknown; body?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}


/** A fresh database in the PostgreSQL service, dropped by the returned function. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `airlift_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestAppOptions {
  storage?: 'local' | 's3';
  database?: 'pglite' | 'postgres';
  env?: Record<string, string>;
  /** Receives the server's JSON log lines. */
  logStream?: { write(line: string): void };
  /** The login throttle's clock (tests move it instead of waiting). */
  clock?: () => Date;
  /** A PostgreSQL database another test app already uses (a second instance on it), instead of a fresh one. */
  databaseUrl?: string;
  /** Told of every route the app registers. */
  onRoute?: AppParts['onRoute'];
}

let bucketCount = 0;

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-test-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const cleanups: (() => Promise<void>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  let database: Database | undefined;
  let testBucket: string | undefined;
  try {
    if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
    else if (options.database === 'postgres') {
      const postgres = await freshPostgres();
      cleanups.unshift(postgres.drop);
      env.DATABASE_URL = postgres.url;
    }
    if (options.storage === 's3') {
      const s3 = inject('s3');
      const bucket = `airlift-test-${process.pid}-${++bucketCount}-${Math.random().toString(36).slice(2, 6)}`;
      await createBucket(s3.config, bucket);
      cleanups.unshift(() => deleteBucket(s3.config, bucket));
      Object.assign(env, s3.env, { R2_BUCKET_NAME: bucket });
      testBucket = bucket;
    }
    Object.assign(env, options.env);
    const config = loadConfig(env);
    // The browser PUTs from the app's origin: the bucket gets its CORS rules from `airlift storage cors` itself.
    // Applied with the server's good settings to the test's bucket, even when the test gives the app wrong ones.
    if (config.r2 && (await applyCors({ ...config, r2: { ...inject('s3').config, bucket: testBucket! } }, () => {})) !== 0) {
      throw new Error('airlift storage cors failed');
    }
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir, command: 'test' });
    const app = await buildApp(config, { database, logger: options.logStream ?? env.LOG_LEVEL !== 'silent', clock: options.clock, onRoute: options.onRoute });
    cleanups.unshift(async () => {
      await app.close();
      await database!.close();
    });
    await app.listen({ port, host: '127.0.0.1' });

    const request: TestApp['request'] = (method, url, { session, json, body, headers = {} } = {}) =>
      fetch(baseUrl + url, {
        method,
        redirect: 'manual',
        headers: {
          ...(session && { cookie: session.cookie, 'x-csrftoken': session.csrf }),
          ...(json !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        body: json !== undefined ? JSON.stringify(json) : body,
      });

    let users = 0;
    return {
      app,
      config,
      baseUrl,
      dataDir,
      request,
      async login(email = `user${++users}-${Math.random().toString(36).slice(2, 6)}@example.com`, { admin = false } = {}) {
        await createUser(app.db, { email, password: TEST_PASSWORD, role: admin ? 'admin' : 'editor' });
        return loginAs(baseUrl, email, TEST_PASSWORD);
      },
      async close() {
        for (const cleanup of cleanups) await cleanup();
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    throw error;
  }
}

export { loginAs, type Session };
