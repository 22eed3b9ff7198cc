import type { FastifyInstance } from 'fastify';
import { currentUser, requireUser } from '../auth/plugin.ts';
import { notFound } from '../errors.ts';
import { editMediaBody, listQuery } from '../shared/api.ts';
import { PHOTOS, VIDEOS, type ItemType } from './item-types.ts';
import { canRead, checkServedObject, createItem, deleteItem, editItem, getRow, listItems } from './service.ts';

type IdParams = { Params: { id: string } };

/** Signed GETs handed out by `/media/<key>` live this long; the browser follows them at once. */
const READ_URL_EXPIRES = 3600;

/** Media records (`/api/v1/videos`, `/api/v1/photos`) and `/media/<key>`, the app's stable URL for an object. */
export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireUser);

  itemRoutes(app, VIDEOS);
  itemRoutes(app, PHOTOS);

  app.get<{ Params: { '*': string } }>('/media/*', async (request, reply) => {
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
function itemRoutes<Row, Item extends { id: number; file_key: string }>(app: FastifyInstance, type: ItemType<Row, Item>): void {
  const path = `/api/v1/${type.plural}`;
  app.get(path, async (request) => listItems(app, type, listQuery.parse(request.query)));
  app.post(path, async (request, reply) => {
    const item = await createItem(app, type, currentUser(request), type.createBody.parse(request.body));
    request.log.info({ [type.noun]: item.id, key: item.file_key }, `${type.noun} saved`);
    return reply.status(201).send(item);
  });
  app.get<IdParams>(`${path}/:id`, async (request) => type.item(app, await getRow(app, type, request.params.id)));
  app.patch<IdParams>(`${path}/:id`, async (request) => editItem(app, type, currentUser(request), request.params.id, editMediaBody.parse(request.body)));
  app.delete<IdParams>(`${path}/:id`, async (request, reply) => {
    await deleteItem(app, type, currentUser(request), request.params.id);
    request.log.info({ [type.noun]: request.params.id }, `${type.noun} deleted`);
    return reply.status(204).send();
  });
}
