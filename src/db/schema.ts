import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { MediaKind } from '../shared/media-kind.ts';
import type { Role } from '../shared/roles.ts';

/** The database as the application sees it today. Migrations do not import this (they are frozen in time). */
export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  setup_tokens: SetupTokensTable;
  login_failures: LoginFailuresTable;
  leases: LeasesTable;
  uploads: UploadsTable;
  videos: VideosTable;
  photos: PhotosTable;
  api_tokens: ApiTokensTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  upload_failures: UploadFailuresTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  /** `admin` manages everything and the users; `editor` uploads and edits their own items. */
  role: ColumnType<Role, Role | undefined, Role>;
  created_at: Timestamp;
  /** Set while the account is disabled: no login, no session. */
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SessionsTable {
  /** sha-256 of the cookie's token: a database leak does not hand out sessions. */
  id: string;
  user_id: number;
  expires_at: Date;
  created_at: Timestamp;
}

export interface SetupTokensTable {
  token_hash: string;
  expires_at: Date;
  created_at: Timestamp;
}

export interface LoginFailuresTable {
  id: Generated<number>;
  email: string;
  ip: string;
  at: Timestamp;
  /** The device id of the signed device cookie the attempt came with, if any. */
  device: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A named lease (src/db/lease.ts): one holder at a time across instances, until it expires. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: Date;
}

export type UploadState = 'pending' | 'completed' | 'aborted';
export type UploadStrategy = 'single' | 'multipart';

/** An upload ticket: what the server allowed one user to put at one key. */
export interface UploadsTable {
  id: string;
  owner_id: number;
  kind: MediaKind;
  key: string;
  filename: string;
  content_type: string;
  /** The declared size; null for the seed's presign call, which does not send one. */
  size: ColumnType<number | null, number | null | undefined, number | null>;
  strategy: UploadStrategy;
  part_size: number | null;
  part_count: number | null;
  multipart_id: string | null;
  state: ColumnType<UploadState, UploadState | undefined, UploadState>;
  expires_at: Date;
  created_at: Timestamp;
  completed_at: Date | null;
  /** The record that uses this upload's object, once one does: an object is used once. */
  used_by: string | null;
  /** Set while the upload's objects are being removed (the sweeper finishes a removal cut short); null otherwise. */
  cleanup_since: Date | null;
  /** The object's ETag when the upload was completed: a different one later means the object was replaced. */
  etag: ColumnType<string | null, string | null | undefined, string | null>;
  /** The upload's URL could replace its object (the seed's URL on S3, which cannot carry If-None-Match). */
  replaceable: ColumnType<boolean, boolean | undefined, boolean>;
  /** Cancelled or deleted: until then an old URL could still create the key on S3, so the sweeper deletes it after. */
  void_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface VideosTable {
  id: Generated<number>;
  owner_id: number;
  title: string;
  description: string | null;
  /** The seed's `cover_film`: the cover image's key (under `films/`). */
  cover_film: string | null;
  /** The seed's legacy uploaded-file column, kept for backward compatibility. */
  video: string | null;
  video_url: string | null;
  file_key: string | null;
  size: ColumnType<number, number, number>;
  content_type: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Seconds, as the browser read them from the file; null when it could not. */
  duration: Measure;
  width: Measure;
  height: Measure;
}

/** A figure the browser measured of an item's file (src/shared/media-limits.ts); null when unknown. */
type Measure = ColumnType<number | null, number | null | undefined, number | null>;

export interface PhotosTable {
  id: Generated<number>;
  owner_id: number;
  title: string | null;
  description: string | null;
  /** The seed's legacy uploaded-file column, kept for backward compatibility. */
  image: string | null;
  image_url: string | null;
  file_key: string | null;
  size: ColumnType<number, number, number>;
  content_type: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Pixels, EXIF orientation applied, as the browser read them; null when it could not. */
  width: Measure;
  height: Measure;
  /** The thumbnail's key (under `thumbs/`), at most 480 px on its longer side, made in the browser. */
  thumbnail_key: ColumnType<string | null, string | null | undefined, string | null>;
}

export type TokenScope = 'read' | 'write';

/** An API token (src/auth/api-tokens.ts): a user's credential for /api/v1 within its scope. */
export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  scope: TokenScope;
  /** sha-256 of the token: a database leak does not hand out tokens. */
  token_hash: string;
  /** The token's first characters, shown so a person can tell their tokens apart. */
  prefix: string;
  created_at: Timestamp;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Where webhook events go (src/webhooks/). */
export interface WebhookEndpointsTable {
  id: Generated<number>;
  url: string;
  /** The `whsec_…` that signs every delivery (Standard Webhooks), sealed under SECRET_KEY (webhooks/sealed-secret.ts). */
  secret: string;
  /** The event types sent; null: every one. */
  events: string[] | null;
  created_at: Timestamp;
  /** Failed attempts since the last delivered one. */
  consecutive_failures: ColumnType<number, number | undefined, number>;
  /** Set when the endpoint keeps failing (shown to admins), cleared by the next success. */
  failing_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** The outbox: an event, written in the transaction of the change it tells of. */
export interface WebhookEventsTable {
  id: Generated<number>;
  /** The `webhook-id` header: the same for every attempt and endpoint. */
  message_id: string;
  type: string;
  /** What the event is about (`video 12`): events on one subject are delivered in order. */
  subject: string;
  /** The exact JSON body that is signed and sent. */
  payload: string;
  created_at: Timestamp;
}

export type DeliveryState = 'pending' | 'delivered' | 'given_up';

/** One event to one endpoint, until it is answered 2xx or given up. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  event_id: number;
  endpoint_id: number;
  subject: string;
  state: ColumnType<DeliveryState, DeliveryState | undefined, DeliveryState>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** The instance sending it now, and until when no other may (a claim that lapses if it dies). */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  claimed_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  last_status: ColumnType<number | null, number | null | undefined, number | null>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  delivered_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
}

/** The delivery log: one row per attempt. */
export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  at: Timestamp;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** An upload that went wrong, for the status page: refused at complete or save, cancelled, or expired. Kept 30 days. */
export interface UploadFailuresTable {
  id: Generated<number>;
  at: Timestamp;
  upload_id: string | null;
  user_id: number | null;
  kind: string;
  filename: string;
  /** The error's code (`content_mismatch`, `object_replaced`…), or `upload_aborted` / `upload_expired`. */
  code: string;
  message: string;
}

export type User = Selectable<UsersTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type WebhookEndpoint = Selectable<WebhookEndpointsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type WebhookAttempt = Selectable<WebhookAttemptsTable>;
export type Upload = Selectable<UploadsTable>;
/** A ticket as `openTicket` inserts it. */
export type NewUpload = Insertable<UploadsTable>;
export type Video = Selectable<VideosTable>;
export type Photo = Selectable<PhotosTable>;
