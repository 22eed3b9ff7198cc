import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { route } from '../api/route.ts';
import { currentUser, requireUser } from '../auth/plugin.ts';
import { notFound } from '../errors.ts';
import type { listMediaQuery } from '../shared/api.ts';
import { OPERATIONS, type Operation } from '../shared/operations.ts';
import { PHOTOS, VIDEOS, type ItemType, type ItemEdit, type NewItem } from './item-types.ts';
import { canRead, checkServedObject, createItem, deleteItem, editItem, getRow, listItems } from './service.ts';

type IdParams = z.ZodType<{ id: string }>;
/** A type's five operations, as `itemRoutes` registers them for either type. */
interface ItemOperations {
  list: Operation<undefined, typeof listMediaQuery, undefined, z.ZodType>;
  create: Operation<z.ZodType<NewItem>, undefined, undefined, z.ZodType>;
  get: Operation<undefined, undefined, IdParams, z.ZodType>;
  edit: Operation<z.ZodType<ItemEdit>, undefined, IdParams, z.ZodType>;
  remove: Operation<undefined, undefined, IdParams, undefined>;
}
const { listVideos, createVideo, getVideo, editVideo, deleteVideo, listPhotos, createPhoto, getPhoto, editPhoto, deletePhoto } = OPERATIONS;

/** Signed GETs handed out by `/media/<key>` live this long; the browser follows them at once. */
const READ_URL_EXPIRES = 3600;

/** Media records (`/api/v1/videos`, `/api/v1/photos`) and `/media/<key>`, the app's stable URL for an object. */
export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  itemRoutes(app, VIDEOS, { list: listVideos, create: createVideo, get: getVideo, edit: editVideo, remove: deleteVideo });
  itemRoutes(app, PHOTOS, { list: listPhotos, create: createPhoto, get: getPhoto, edit: editPhoto, remove: deletePhoto });

  app.get<{ Params: { '*': string } }>('/media/*', { onRequest: requireUser }, async (request, reply) => {
    const key = request.params['*'];
    if (!(await canRead(app, currentUser(request), key))) throw notFound('No such file.');
    // The seed's URL on S3 could replace the object after its check: that object is not served as the upload's.
    await checkServedObject(app, key);
    const url = await app.storage.presignGet(key, { expiresIn: READ_URL_EXPIRES });
    // Private: the redirect holds a signed URL that must not be cached for other users.
    return reply.header('cache-control', 'private, max-age=300').redirect(url, 302);
  });
}

/** `/api/v1/<plural>` and `/api/v1/<plural>/:id`: list, create, get, edit, delete. */
function itemRoutes<Row, Item extends { id: number; file_key: string }>(app: FastifyInstance, type: ItemType<Row, Item>, operations: ItemOperations): void {
  route(app, operations.list, async ({ query }) => listItems(app, type, query));
  route(app, operations.create, async ({ request, body }) => {
    const item = await createItem(app, type, currentUser(request), body);
    request.log.info({ [type.noun]: item.id, key: item.file_key }, `${type.noun} saved`);
    return item;
  });
  route(app, operations.get, async ({ params }) => type.item(app, await getRow(app, type, params.id)));
  route(app, operations.edit, async ({ request, params, body }) => editItem(app, type, currentUser(request), params.id, body));
  route(app, operations.remove, async ({ request, params }) => {
    await deleteItem(app, type, currentUser(request), params.id);
    request.log.info({ [type.noun]: params.id }, `${type.noun} deleted`);
  });
}
