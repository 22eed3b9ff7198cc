/** What an upload is for: each kind has its folder, its types and its size limit. */
export const MEDIA_KINDS = ['video', 'photo', 'cover'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
