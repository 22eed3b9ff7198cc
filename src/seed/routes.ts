import type { FastifyInstance } from 'fastify';
import { route } from '../api/route.ts';
import { currentUser } from '../auth/plugin.ts';
import { PHOTOS, VIDEOS, type ItemType, type NewItem } from '../media/item-types.ts';
import { createItem } from '../media/service.ts';
import { mediaUrl } from '../media/urls.ts';
import { OPERATIONS } from '../shared/operations.ts';
import { createUnsizedUpload } from '../uploads/service.ts';
import { completeSeedUpload, findSeedUpload } from './service.ts';

/**
 * The seed's three endpoints, with its exact paths and fields, so its own page script works:
 * an adapter that turns them into an upload ticket and a media record. Unlike the seed,
 * saving trusts nothing the client sends but the key, and only a key this server issued to
 * this user for that kind, whose object it has checked in the store.
 */
export async function seedRoutes(app: FastifyInstance): Promise<void> {
  route(app, OPERATIONS.seedPresign, async ({ request, query }) => {
    const user = currentUser(request);
    // The seed sends no size: the ticket is bound to the kind's limit, and the object checked on save.
    const { upload, put } = await createUnsizedUpload(app, user, query.type, query.filename);
    request.log.info({ upload: upload.id, kind: upload.kind, strategy: 'single', user: user.id, seed: true }, 'upload granted');
    return { presigned_url: put.url, file_key: upload.key, public_url: mediaUrl(app, upload.key), content_type: upload.content_type, headers: put.headers, expires_at: put.expires_at, upload_id: upload.id };
  });

  saveRoute(app, VIDEOS, OPERATIONS.seedSaveVideo);
  saveRoute(app, PHOTOS, OPERATIONS.seedSavePhoto);
}

/** `POST /api/save-video-metadata/`, `/api/save-photo-metadata/`: a record from the seed's keys → `{success, video_id}`. */
function saveRoute<Row, Item extends { id: number; file_key: string }>(
  app: FastifyInstance,
  type: ItemType<Row, Item>,
  operation: typeof OPERATIONS.seedSaveVideo | typeof OPERATIONS.seedSavePhoto,
): void {
  route(app, operation, async ({ request, body }) => {
    const user = currentUser(request);
    const input: NewItem = { title: body.title, description: body.description };
    // Every ticket is checked before any is completed: a wrong cover leaves the video's ticket as it was.
    const tickets = [];
    for (const file of type.files) {
      const key = file.seedField && body[file.seedField];
      if (key) tickets.push({ field: file.field, upload: await findSeedUpload(app, user, key, file.kind) });
    }
    for (const { field, upload } of tickets) input[field] = await completeSeedUpload(app, upload);
    const item = await createItem(app, type, user, input);
    request.log.info({ [type.noun]: item.id, key: item.file_key, seed: true }, `${type.noun} saved`);
    return { success: true as const, [type.seedId]: item.id };
  });
}
