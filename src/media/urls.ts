import type { AppContext } from '../context.ts';

/**
 * The URL a logged-in user reads an object at: the CDN's when the bucket has a public
 * domain, else the app's own `/media/<key>`, which answers with a fresh signed URL.
 */
export function mediaUrl(ctx: Pick<AppContext, 'storage'>, key: string): string {
  return ctx.storage.publicUrl(key) ?? `/media/${key}`;
}
