import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
// What the browser measured of an item's file: a video's duration (seconds) and size, a photo's
// size (EXIF orientation applied) and its thumbnail, an upload of the new kind `thumbnail`
// (under `thumbs/`). Null where the browser could not read the file.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE uploads DROP CONSTRAINT uploads_kind_check;
    ALTER TABLE uploads ADD CONSTRAINT uploads_kind_check CHECK (kind IN ('video', 'photo', 'cover', 'thumbnail'));
    ALTER TABLE videos ADD COLUMN duration real CHECK (duration > 0);
    ALTER TABLE videos ADD COLUMN width integer CHECK (width > 0);
    ALTER TABLE videos ADD COLUMN height integer CHECK (height > 0);
    ALTER TABLE photos ADD COLUMN width integer CHECK (width > 0);
    ALTER TABLE photos ADD COLUMN height integer CHECK (height > 0);
    ALTER TABLE photos ADD COLUMN thumbnail_key varchar(500);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE photos DROP COLUMN thumbnail_key;
    ALTER TABLE photos DROP COLUMN height;
    ALTER TABLE photos DROP COLUMN width;
    ALTER TABLE videos DROP COLUMN height;
    ALTER TABLE videos DROP COLUMN width;
    ALTER TABLE videos DROP COLUMN duration;
    DELETE FROM uploads WHERE kind = 'thumbnail';
    ALTER TABLE uploads DROP CONSTRAINT uploads_kind_check;
    ALTER TABLE uploads ADD CONSTRAINT uploads_kind_check CHECK (kind IN ('video', 'photo', 'cover'));
  `.execute(db);
}
