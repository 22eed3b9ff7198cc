import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
// What went wrong with uploads, for the status page: a refused save or complete (its error code
// and message), an upload cancelled, an expired one the sweeper removed. The sweeper keeps 30 days.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE upload_failures (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      upload_id uuid,
      user_id integer REFERENCES users (id) ON DELETE SET NULL,
      kind text NOT NULL,
      filename text NOT NULL,
      code text NOT NULL,
      message text NOT NULL
    );
    CREATE INDEX upload_failures_at_idx ON upload_failures (at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE upload_failures;`.execute(db);
}
