import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A named lease: one holder at a time across instances, taken over once it expires
    -- (a holder that died frees it by itself). The sweeper's replaces its advisory lock.
    CREATE TABLE leases (
      name text PRIMARY KEY,
      holder text NOT NULL,
      expires_at timestamptz NOT NULL
    );

    -- Set on an upload whose objects are to be removed, cleared once the store has removed them:
    -- a cleanup cut short (a crash, a store that failed) is found and finished by the next sweep.
    ALTER TABLE uploads ADD COLUMN cleanup_since timestamptz;

    -- What the sweeper looks for, each found without reading the whole table.
    CREATE INDEX uploads_pending_expiry_idx ON uploads (expires_at) WHERE state = 'pending';
    CREATE INDEX uploads_unsaved_idx ON uploads (completed_at) WHERE state = 'completed' AND used_by IS NULL;
    CREATE INDEX uploads_cleanup_idx ON uploads (cleanup_since) WHERE cleanup_since IS NOT NULL;
    CREATE INDEX uploads_multipart_idx ON uploads (multipart_id) WHERE multipart_id IS NOT NULL;
    CREATE INDEX sessions_expires_idx ON sessions (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX sessions_expires_idx;
    DROP INDEX uploads_multipart_idx, uploads_cleanup_idx, uploads_unsaved_idx, uploads_pending_expiry_idx;
    ALTER TABLE uploads DROP COLUMN cleanup_since;
    DROP TABLE leases;
  `.execute(db);
}
