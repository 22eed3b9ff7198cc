import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
// A disabled user keeps their rows but can no longer log in or use a session; a login
// failure remembers the device cookie it came with, so that a browser the owner has logged
// in from is judged by its own failures alone, not by strangers'.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users ADD COLUMN disabled_at timestamptz;
    ALTER TABLE login_failures ADD COLUMN device text;
    CREATE INDEX login_failures_email_device_idx ON login_failures (email, device) WHERE device IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX login_failures_email_device_idx;
    ALTER TABLE login_failures DROP COLUMN device;
    ALTER TABLE users DROP COLUMN disabled_at;
  `.execute(db);
}
