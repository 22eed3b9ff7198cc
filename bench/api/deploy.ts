/**
 * The set-ups the load benchmark measures, each started as its users would start it:
 *   local  one instance on the embedded database (PGlite) and the local store;
 *   s3     one instance on PostgreSQL and the S3 test server;
 *   s3x2   two instances on one PostgreSQL database and one bucket, called in turn.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loginAs } from '../../test/login.ts';
import { createBucket, deleteBucket, type S3TestServer } from '../../test/s3-server.ts';
import type { Watched } from '../procs.ts';
import { ApiClient } from './http.ts';
import { createUser, freshDatabase, postgresBackends, rgwPids, startAirlift, type Server } from './servers.ts';
import type { ConfigId } from './settings.ts';

const run = promisify(execFile);
const EMAIL = 'load@example.com';
const PASSWORD = 'load benchmark password 1';

export interface Deployment {
  id: ConfigId;
  label: string;
  database: 'PGlite' | 'PostgreSQL';
  store: 'local store' | 'S3 (Ceph RGW)';
  servers: Server[];
  /** A logged-in user's client, calling the instances in turn. */
  api: ApiClient;
  /** What is measured: the app's instances, PostgreSQL's backends for its database, the S3 gateway. */
  groups: Watched[];
  /** Frees what deleted objects still hold (the gateway keeps them in RAM until its garbage collection). */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

const LABELS: Record<ConfigId, string> = {
  local: 'one instance, PGlite + local store',
  s3: 'one instance, PostgreSQL + S3',
  s3x2: 'two instances, PostgreSQL + S3',
};

export async function deploy(id: ConfigId, s3: S3TestServer | null, postgresAdminUrl: string): Promise<Deployment> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`stopping ${id}:`, error));
  };
  const dataDir = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `airlift-bench-api-${id}-`));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  try {
    const servers: Server[] = [];
    const appGroup: Watched = { name: 'app', pids: () => servers.map((s) => s.process.pid!) };
    if (id === 'local') {
      const env = { DATA_DIR: await dataDir() };
      await createUser(env, EMAIL, PASSWORD);
      const server = await startAirlift('app', env);
      cleanups.push(() => server.stop());
      servers.push(server);
      const api = new ApiClient([server.baseUrl], await loginAs(server.baseUrl, EMAIL, PASSWORD));
      return { id, label: LABELS[id], database: 'PGlite', store: 'local store', servers, api, groups: [appGroup], collectGarbage: async () => {}, stop };
    }
    if (!s3) throw new Error(`${id} needs the S3 test server`);
    const database = await freshDatabase(postgresAdminUrl);
    cleanups.push(() => database.drop());
    const bucket = `bench-api-${id}-${randomBytes(3).toString('hex')}`;
    await createBucket(s3.config, bucket);
    cleanups.push(() => deleteBucket(s3.config, bucket));
    // One secret for all instances: a session or CSRF token one instance issued is good on the other.
    const shared = { ...s3.env, R2_BUCKET_NAME: bucket, DATABASE_URL: database.url, SECRET_KEY: randomBytes(32).toString('base64url') };
    await createUser({ ...shared, DATA_DIR: await dataDir() }, EMAIL, PASSWORD);
    for (let n = 1; n <= (id === 's3x2' ? 2 : 1); n++) {
      // One after the other: the first applies the migrations.
      const server = await startAirlift(`app ${n}`, { ...shared, DATA_DIR: await dataDir() });
      cleanups.push(() => server.stop());
      servers.push(server);
    }
    const api = new ApiClient(
      servers.map((s) => s.baseUrl),
      await loginAs(servers[0]!.baseUrl, EMAIL, PASSWORD),
    );
    return {
      id,
      label: LABELS[id],
      database: 'PostgreSQL',
      store: 'S3 (Ceph RGW)',
      servers,
      api,
      groups: [appGroup, { name: 'postgres', pids: () => postgresBackends(database.name) }, { name: 'rgw', pids: () => rgwPids(s3) }],
      async collectGarbage() {
        await run('radosgw-admin', ['-c', path.join(s3.dir, 'ceph.conf'), 'gc', 'process', '--include-all'], { timeout: 300_000 });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
