import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
// The library's search and title sort. `airlift_fold` is how text compares there: lower case,
// accents stripped (`Élève` → `eleve`, `Œuvre` → `oeuvre`), so `eleve` finds `Élève`. It does
// without `unaccent`, which PGlite cannot load: NFD splits each letter from its accents, the
// combining marks go, NFC puts the rest (Hangul, say) back together; the ligatures and letters
// that no decomposition splits are spelt out. Each row keeps its folded text in stored columns,
// a trigram index answers `LIKE '%word%'` on them, and a btree the title sort's keyset.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE FUNCTION airlift_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      RETURN normalize(regexp_replace(
        normalize(replace(replace(replace(translate(lower($1), 'øł', 'ol'), 'œ', 'oe'), 'æ', 'ae'), 'ß', 'ss'), NFD),
        '[\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f]', '', 'g'), NFC);
  `.execute(db);
  for (const table of ['videos', 'photos']) {
    await sql`
      ALTER TABLE ${sql.table(table)}
        ADD COLUMN search_text text GENERATED ALWAYS AS (airlift_fold(coalesce(title, '') || ' ' || coalesce(description, ''))) STORED,
        ADD COLUMN title_key text COLLATE "C" GENERATED ALWAYS AS (airlift_fold(coalesce(title, ''))) STORED;
      CREATE INDEX ${sql.id(`${table}_search_idx`)} ON ${sql.table(table)} USING gin (search_text gin_trgm_ops);
      CREATE INDEX ${sql.id(`${table}_title_idx`)} ON ${sql.table(table)} (title_key, id);
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE videos DROP COLUMN search_text, DROP COLUMN title_key;
    ALTER TABLE photos DROP COLUMN search_text, DROP COLUMN title_key;
    DROP FUNCTION airlift_fold(text);
  `.execute(db);
}
