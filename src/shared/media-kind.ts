/** What an upload is for: each kind has its folder, its types and its size limit. A thumbnail is a photo's small image, made in the browser. */
export const MEDIA_KINDS = ['video', 'photo', 'cover', 'thumbnail'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
