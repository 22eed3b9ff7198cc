export const MEDIA_KINDS = ['video', 'photo', 'cover'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
