import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, requireUser } from '../auth/plugin.ts';
import { notFound } from '../errors.ts';
import { createPhotoBody, createVideoBody, editMediaBody } from '../shared/api.ts';
import {
  canRead,
  createPhoto,
  createVideo,
  deletePhoto,
  deleteVideo,
  editPhoto,
  editVideo,
  getPhoto,
  getVideo,
  listPhotos,
  listVideos,
  photoItem,
  videoItem,
} from './service.ts';

type IdParams = { Params: { id: string } };

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(100).optional(),
});

/** Signed GETs handed out by `/media/<key>` live this long; the browser follows them at once. */
const READ_URL_EXPIRES = 3600;

/** Media records (`/api/v1/videos`, `/api/v1/photos`) and `/media/<key>`, the app's stable URL for an object. */
export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireUser);

  app.get('/api/v1/videos', async (request) => listVideos(app, listQuery.parse(request.query)));
  app.post('/api/v1/videos', async (request, reply) => {
    const item = await createVideo(app, currentUser(request), createVideoBody.parse(request.body));
    request.log.info({ video: item.id, key: item.file_key }, 'video saved');
    return reply.status(201).send(item);
  });
  app.get<IdParams>('/api/v1/videos/:id', async (request) => videoItem(app, await getVideo(app, request.params.id)));
  app.patch<IdParams>('/api/v1/videos/:id', async (request) => editVideo(app, currentUser(request), request.params.id, editMediaBody.parse(request.body)));
  app.delete<IdParams>('/api/v1/videos/:id', async (request, reply) => {
    await deleteVideo(app, currentUser(request), request.params.id);
    request.log.info({ video: request.params.id }, 'video deleted');
    return reply.status(204).send();
  });

  app.get('/api/v1/photos', async (request) => listPhotos(app, listQuery.parse(request.query)));
  app.post('/api/v1/photos', async (request, reply) => {
    const item = await createPhoto(app, currentUser(request), createPhotoBody.parse(request.body));
    request.log.info({ photo: item.id, key: item.file_key }, 'photo saved');
    return reply.status(201).send(item);
  });
  app.get<IdParams>('/api/v1/photos/:id', async (request) => photoItem(app, await getPhoto(app, request.params.id)));
  app.patch<IdParams>('/api/v1/photos/:id', async (request) => editPhoto(app, currentUser(request), request.params.id, editMediaBody.parse(request.body)));
  app.delete<IdParams>('/api/v1/photos/:id', async (request, reply) => {
    await deletePhoto(app, currentUser(request), request.params.id);
    request.log.info({ photo: request.params.id }, 'photo deleted');
    return reply.status(204).send();
  });

  app.get<{ Params: { '*': string } }>('/media/*', async (request, reply) => {
    const key = request.params['*'];
    if (!(await canRead(app, currentUser(request), key))) throw notFound('No such file.');
    const url = await app.storage.presignGet(key, { expiresIn: READ_URL_EXPIRES });
    // Private: the redirect holds a signed URL that must not be cached for other users.
    return reply.header('cache-control', 'private, max-age=300').redirect(url, 302);
  });
}
