import { sql, type Kysely } from 'kysely';

// Frozen in time: plain SQL, no imports of the application's current types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL,
      password_hash text NOT NULL,
      is_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));

    CREATE TABLE sessions (
      id text PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sessions_user_id_idx ON sessions (user_id);

    CREATE TABLE setup_tokens (
      token_hash text PRIMARY KEY,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE login_failures (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL,
      ip text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX login_failures_email_at_idx ON login_failures (email, at);
    CREATE INDEX login_failures_ip_at_idx ON login_failures (ip, at);

    CREATE TABLE uploads (
      id uuid PRIMARY KEY,
      owner_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('video', 'photo', 'cover')),
      key text NOT NULL UNIQUE,
      filename text NOT NULL,
      content_type text NOT NULL,
      size bigint CHECK (size >= 0),
      strategy text NOT NULL CHECK (strategy IN ('single', 'multipart')),
      part_size bigint,
      part_count integer,
      multipart_id text,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'completed', 'aborted')),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      used_by text
    );
    CREATE INDEX uploads_owner_idx ON uploads (owner_id, created_at DESC);
    CREATE INDEX uploads_pending_idx ON uploads (created_at) WHERE state = 'pending';

    CREATE TABLE videos (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      title varchar(255) NOT NULL,
      description text,
      cover_film varchar(500),
      video varchar(500),
      video_url varchar(2048),
      file_key varchar(500) UNIQUE,
      size bigint NOT NULL,
      content_type text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX videos_created_idx ON videos (created_at DESC, id DESC);

    CREATE TABLE photos (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      title varchar(255),
      description text,
      image varchar(500),
      image_url varchar(2048),
      file_key varchar(500) UNIQUE,
      size bigint NOT NULL,
      content_type text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX photos_created_idx ON photos (created_at DESC, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE photos, videos, uploads, login_failures, setup_tokens, sessions, users`.execute(db);
}
