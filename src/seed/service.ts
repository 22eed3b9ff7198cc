import type { AppContext } from '../context.ts';
import type { Upload, User } from '../db/schema.ts';
import { badRequest, notFound } from '../errors.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import { isKeyOfKind } from '../uploads/rules.ts';
import { recordingFailure } from '../uploads/failures.ts';
import { verifyStoredObject } from '../uploads/service.ts';

/** The caller's ticket for a seed `file_key` of this kind (the seed names an upload by its key). */
export async function findSeedUpload(ctx: AppContext, user: User, fileKey: string, kind: MediaKind): Promise<Upload> {
  const upload = await ctx.db.selectFrom('uploads').selectAll().where('key', '=', fileKey).where('owner_id', '=', user.id).executeTakeFirst();
  if (!upload) throw notFound(`No upload with the file_key "${fileKey.slice(0, 100)}" was issued to you.`);
  if (upload.kind !== kind || !isKeyOfKind(fileKey, kind)) throw badRequest(`The file_key "${fileKey}" is a ${upload.kind} upload, not a ${kind}.`, 'wrong_kind');
  return upload;
}

/** The seed never says an upload is complete: checks the ticket's stored object (once) and returns the upload id. */
export async function completeSeedUpload(ctx: AppContext, upload: Upload): Promise<string> {
  if (upload.state === 'pending') await recordingFailure(ctx, upload, () => verifyStoredObject(ctx, upload));
  return upload.id;
}
