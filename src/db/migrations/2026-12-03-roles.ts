import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
// Two roles: an admin manages everything and the users; an editor uploads and edits their own
// items. The old flag becomes the role.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'editor' CHECK (role IN ('admin', 'editor'));
    UPDATE users SET role = 'admin' WHERE is_admin;
    ALTER TABLE users DROP COLUMN is_admin;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
    UPDATE users SET is_admin = (role = 'admin');
    ALTER TABLE users DROP COLUMN role;
  `.execute(db);
}
