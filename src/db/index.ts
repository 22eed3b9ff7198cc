import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, type Migration, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';
import { acquireLock } from './lock.ts';
import { isDatabaseUnavailable } from './unavailable.ts';
import * as initial from './migrations/2026-11-25-initial.ts';
import * as sessions from './migrations/2026-12-02-sessions.ts';
import * as storedObjects from './migrations/2026-12-02-stored-objects.ts';
import * as sweeperLease from './migrations/2026-12-02-sweeper-lease.ts';
import * as roles from './migrations/2026-12-03-roles.ts';
import * as tokensWebhooks from './migrations/2026-12-03-tokens-webhooks.ts';
import * as failures from './migrations/2026-12-03-failures.ts';
import * as mediaDetails from './migrations/2026-12-03-media-details.ts';

export interface Database {
  db: Kysely<DB>;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** Every migration, by name; names sort by date so order is obvious. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-initial': initial,
  '2026-12-02-sessions': sessions,
  '2026-12-02-stored-objects': storedObjects,
  '2026-12-02-sweeper-lease': sweeperLease,
  '2026-12-03-roles': roles,
  '2026-12-03-tokens-webhooks': tokensWebhooks,
  '2026-12-03-failures': failures,
  '2026-12-03-media-details': mediaDetails,
};
/** The migrations' names, in the order they run. */
export const MIGRATION_NAMES = Object.keys(MIGRATIONS).sort();

// bigint columns hold byte sizes, far below 2^53: read them as numbers, as PGlite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Opens the database the configuration names: PostgreSQL for a postgres:// URL, else PGlite
 * in `<dataDir>/db`, locked to this process for as long as it is open.
 */
export async function openDatabase(options: { databaseUrl: string | null; dataDir: string; command: string }): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10, ...POSTGRES_LIMITS });
    // An idle connection the server closed (a restart, a failover, an admin's kill) is an 'error'
    // on the pool, which would crash the process unheard; the pool has already dropped it, and the
    // next query opens a fresh one.
    pool.on('error', () => undefined);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: droppingBrokenConnections(pool) }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const lock = acquireLock(path.join(options.dataDir, 'db.lock'), options.command);
  try {
    return pgliteDatabase(await PGlite.create(path.join(options.dataDir, 'db')), lock.release);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * A server that refuses or stops answering fails a request in seconds, not after the
 * operating system's minutes: a connection is given 5 s to open, a query 10 s to answer
 * (a migration statement longer than that would need its own pool), and TCP keep-alive
 * notices a peer that vanished while a connection idles in the pool.
 */
const POSTGRES_LIMITS = { connectionTimeoutMillis: 5_000, query_timeout: 10_000, keepAlive: true } as const;

/**
 * The pool as Kysely sees it, except that a connection whose query met a connection-level
 * failure (a read timeout, a reset) is destroyed instead of going back to the pool, where its
 * query still in flight would block every later one; the next checkout opens a fresh one.
 */
function droppingBrokenConnections(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let broken = false;
      return {
        query: (sql: string, parameters: readonly unknown[]) =>
          client.query(sql, [...parameters]).catch((error: unknown) => {
            broken ||= isDatabaseUnavailable(error);
            throw error;
          }),
        release: () => client.release(broken),
      } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

function pgliteDatabase(pglite: PGlite, afterClose: () => void): Database {
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pgliteAsPool(pglite) }) });
  return {
    db,
    kind: 'pglite',
    async close() {
      try {
        await db.destroy();
        await pglite.close();
      } finally {
        afterClose();
      }
    },
  };
}

export async function migrate(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * PGlite has one connection and runs one query at a time; this hands Kysely's Postgres
 * dialect that connection through a pool of one, so a transaction owns it until it ends.
 */
function pgliteAsPool(pglite: PGlite): PostgresPool {
  let queue: Promise<void> = Promise.resolve();
  const client = {
    // Kysely asks for cursors only when streaming, which Airlift never does.
    async query(sql: string, parameters: readonly unknown[]) {
      // Parameterless statements go through `exec`, which accepts several at once (migrations).
      const result = parameters.length === 0 ? (await pglite.exec(sql)).at(-1)! : await pglite.query(sql, [...parameters]);
      const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() as PostgresQueryResult<unknown>['command'];
      return { rows: result.rows, rowCount: result.affectedRows ?? 0, command };
    },
    release() {},
  };
  return {
    async connect() {
      let release!: () => void;
      const previous = queue;
      queue = new Promise<void>((resolve) => (release = resolve));
      await previous;
      return { ...client, release } as unknown as PostgresPoolClient;
    },
    async end() {},
  };
}
