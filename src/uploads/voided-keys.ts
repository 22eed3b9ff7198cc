import type { AppContext } from '../context.ts';

/**
 * Deletes, once more, the keys of uploads cancelled or deleted whose last URL has now expired
 * (`void_until`): on S3 an old single-PUT URL could still create the object after the abort
 * (no store refuses it there), and nothing would own that object. Each key goes once; a failed
 * delete is tried again at the next sweep. Returns how many keys were deleted.
 */
export async function deleteVoidedKeys(ctx: AppContext, now = new Date(), limit = 1000): Promise<number> {
  const due = await ctx.db.selectFrom('uploads').select(['id', 'key']).where('void_until', '<', now).limit(limit).execute();
  let deleted = 0;
  for (const upload of due) {
    // No key is owned again once voided (keys are fresh per upload), so deleting it cannot hit a live object.
    await ctx.storage.delete(upload.key);
    await ctx.db.updateTable('uploads').set({ void_until: null }).where('id', '=', upload.id).execute();
    deleted++;
  }
  return deleted;
}
