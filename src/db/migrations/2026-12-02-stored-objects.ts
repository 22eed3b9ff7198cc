import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
// etag: the object's ETag when its upload was completed, so a later change of it shows.
// replaceable: the upload's URL could replace the object (the seed's, on S3: it cannot carry If-None-Match).
// void_until: the upload was cancelled or its file deleted, and a URL could still create the
// key on S3 until then; the sweeper deletes the key once it has passed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE uploads ADD COLUMN etag text;
    ALTER TABLE uploads ADD COLUMN replaceable boolean NOT NULL DEFAULT false;
    ALTER TABLE uploads ADD COLUMN void_until timestamptz;
    CREATE INDEX uploads_void_until_idx ON uploads (void_until) WHERE void_until IS NOT NULL;
  `.execute(db);
}
