import type { AppContext } from '../context.ts';
import type { Photo, Video } from '../db/schema.ts';
import type { EditMediaBody, PhotoItem, VideoItem } from '../shared/api.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import { mediaUrl } from './urls.ts';

/** A file an item owns: the upload that brings it, and the column that keeps its key. */
export interface OwnedFile {
  /** The create body's field naming the upload. */
  field: 'upload_id' | 'cover_upload_id' | 'thumbnail_upload_id';
  /** The seed's save body's field naming the upload by its key, when the seed has one. */
  seedField?: 'file_key' | 'cover_file_key';
  /** What the upload must have been made for. */
  kind: MediaKind;
  column: 'file_key' | 'cover_film' | 'thumbnail_key';
}

/** What the browser measured of an item's file: a body's field and the column that keeps it. */
export type Measure = 'duration' | 'width' | 'height';

/** What a create body gives, for either type: the text, an upload id per owned file, and the figures measured. */
export type NewItem = { title: string; description?: string | null } & Partial<Record<OwnedFile['field'], string | null>> & Partial<Record<Measure, number | null>>;

/** What an edit body gives: the text, and for a video the upload of a new cover. */
export type ItemEdit = EditMediaBody & Partial<Record<OwnedFile['field'], string>>;

/**
 * One type of library item, as the services, the routes and the seed's endpoints need it:
 * its names, its table, the uploads it owns, and how a row reads in the API. Videos and
 * photos are the two; everything else about them is the same code.
 */
export interface ItemType<Row, Item> {
  /** `video`: in messages, logs, `used_by`, and the seed's `/api/save-video-metadata/`. */
  noun: 'video' | 'photo';
  /** `videos`: the table, and the paths `/api/v1/videos`, `/videos/:id`. */
  plural: 'videos' | 'photos';
  /** The first is the item's own file (`upload_id`, required); the others are optional, and an edit may replace them. */
  files: readonly [OwnedFile, ...OwnedFile[]];
  /** The figures its create body takes, kept in columns of the same names. */
  measures: readonly Measure[];
  /** The seed's column that kept the file's URL, filled for its readers. */
  urlColumn: 'video_url' | 'image_url';
  /** The id's field in the seed's save answer. */
  seedId: 'video_id' | 'photo_id';
  /** The row as the API answers it (DESIGN.md, "Media records"). */
  item(ctx: AppContext, row: Row): Item;
}

const MAIN_FILE = { field: 'upload_id', seedField: 'file_key', column: 'file_key' } as const;
const timestamps = (row: { created_at: Date | string; updated_at: Date | string }) => ({
  created_at: new Date(row.created_at).toISOString(),
  updated_at: new Date(row.updated_at).toISOString(),
});

export const VIDEOS: ItemType<Video, VideoItem> = {
  noun: 'video',
  plural: 'videos',
  files: [
    { ...MAIN_FILE, kind: 'video' },
    { field: 'cover_upload_id', seedField: 'cover_file_key', kind: 'cover', column: 'cover_film' },
  ],
  measures: ['duration', 'width', 'height'],
  urlColumn: 'video_url',
  seedId: 'video_id',
  item: (ctx, video) => ({
    id: video.id,
    title: video.title,
    description: video.description,
    file_key: video.file_key!,
    video_url: mediaUrl(ctx, video.file_key!),
    cover_url: video.cover_film ? mediaUrl(ctx, video.cover_film) : null,
    size: video.size,
    content_type: video.content_type,
    duration: video.duration,
    width: video.width,
    height: video.height,
    ...timestamps(video),
  }),
};

export const PHOTOS: ItemType<Photo, PhotoItem> = {
  noun: 'photo',
  plural: 'photos',
  files: [
    { ...MAIN_FILE, kind: 'photo' },
    { field: 'thumbnail_upload_id', kind: 'thumbnail', column: 'thumbnail_key' },
  ],
  measures: ['width', 'height'],
  urlColumn: 'image_url',
  seedId: 'photo_id',
  item: (ctx, photo) => ({
    id: photo.id,
    title: photo.title,
    description: photo.description,
    file_key: photo.file_key!,
    image_url: mediaUrl(ctx, photo.file_key!),
    thumbnail_url: photo.thumbnail_key ? mediaUrl(ctx, photo.thumbnail_key) : null,
    size: photo.size,
    content_type: photo.content_type,
    width: photo.width,
    height: photo.height,
    ...timestamps(photo),
  }),
};

/** Either type, for the code that handles both alike. */
export type AnyItemType = ItemType<Video, VideoItem> | ItemType<Photo, PhotoItem>;
export const ITEM_TYPES: readonly AnyItemType[] = [VIDEOS, PHOTOS];
