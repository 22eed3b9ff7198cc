import type { AppContext } from '../context.ts';
import type { Photo, Video } from '../db/schema.ts';
import type { PhotoItem, VideoItem } from '../shared/api.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import { mediaUrl } from './urls.ts';

/** A file an item owns: the upload that brings it, and the column that keeps its key. */
export interface OwnedFile {
  /** The create body's field naming the upload. */
  field: 'upload_id' | 'cover_upload_id';
  /** The seed's save body's field naming the upload by its key. */
  seedField: 'file_key' | 'cover_file_key';
  /** What the upload must have been made for. */
  kind: MediaKind;
  column: 'file_key' | 'cover_film';
}

/** What a create body gives, for either type: the text, and an upload id per owned file. */
export type NewItem = { title: string; description?: string | null } & Partial<Record<OwnedFile['field'], string | null>>;

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
  /** The first is the item's own file (`upload_id`, required); the others are optional. */
  files: readonly [OwnedFile, ...OwnedFile[]];
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
    ...timestamps(video),
  }),
};

export const PHOTOS: ItemType<Photo, PhotoItem> = {
  noun: 'photo',
  plural: 'photos',
  files: [{ ...MAIN_FILE, kind: 'photo' }],
  urlColumn: 'image_url',
  seedId: 'photo_id',
  item: (ctx, photo) => ({
    id: photo.id,
    title: photo.title,
    description: photo.description,
    file_key: photo.file_key!,
    image_url: mediaUrl(ctx, photo.file_key!),
    size: photo.size,
    content_type: photo.content_type,
    ...timestamps(photo),
  }),
};

/** Either type, for the code that handles both alike. */
export type AnyItemType = ItemType<Video, VideoItem> | ItemType<Photo, PhotoItem>;
export const ITEM_TYPES: readonly AnyItemType[] = [VIDEOS, PHOTOS];
