import type { AppContext } from '../context.ts';
import type { User } from '../db/schema.ts';
import { badRequest, notFound } from '../errors.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import { isKeyOfKind } from '../uploads/rules.ts';
import { verifyStoredObject } from '../uploads/service.ts';

/**
 * The seed names an upload by its `file_key`, and never says it is complete: finds the
 * caller's ticket for that key, checks the stored object (once), and returns the upload id.
 */
export async function completeSeedUpload(ctx: AppContext, user: User, fileKey: string, kind: MediaKind): Promise<string> {
  const upload = await ctx.db.selectFrom('uploads').selectAll().where('key', '=', fileKey).where('owner_id', '=', user.id).executeTakeFirst();
  if (!upload) throw notFound(`No upload with the file_key "${fileKey.slice(0, 100)}" was issued to you.`);
  if (upload.kind !== kind || !isKeyOfKind(fileKey, kind)) throw badRequest(`The file_key "${fileKey}" is a ${upload.kind} upload, not a ${kind}.`, 'wrong_kind');
  if (upload.state === 'pending') await verifyStoredObject(ctx, upload);
  return upload.id;
}
