import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { currentUser, requirePageUser } from '../auth/plugin.ts';
import { editMediaBody } from '../shared/api.ts';
import { deletePhoto, deleteVideo, editPhoto, editVideo, getPhoto, getVideo, listPhotos, listVideos, photoItem, videoItem } from '../media/service.ts';
import { renderLibrary } from './pages/library.ts';
import { renderPhoto, renderVideo } from './pages/item.ts';
import { renderPhotoForm, renderVideoForm } from './pages/upload-forms.ts';

type IdParams = { Params: { id: string } };
const page = { config: { page: true }, onRequest: requirePageUser };
const send = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
const libraryQuery = z.object({ videos: z.string().max(100).optional(), photos: z.string().max(100).optional() });
const editForm = editMediaBody.extend({ csrf_token: z.string() }).transform(({ csrf_token: _, ...edit }) => edit);

/** The server-rendered pages; uploads are driven by the bundled client on the form pages. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', page, async (request, reply) => {
    const query = libraryQuery.parse(request.query);
    const [videos, photos] = await Promise.all([listVideos(app, { cursor: query.videos }), listPhotos(app, { cursor: query.photos })]);
    return send(reply, renderLibrary(request, videos, photos));
  });
  app.get('/videos/new', page, async (request, reply) => send(reply, renderVideoForm(request)));
  app.get('/photos/new', page, async (request, reply) => send(reply, renderPhotoForm(request)));

  app.get<IdParams>('/videos/:id', page, async (request, reply) => {
    const video = await getVideo(app, request.params.id);
    const user = currentUser(request);
    return send(reply, renderVideo(request, videoItem(app, video), video.owner_id === user.id || user.is_admin));
  });
  app.get<IdParams>('/photos/:id', page, async (request, reply) => {
    const photo = await getPhoto(app, request.params.id);
    const user = currentUser(request);
    return send(reply, renderPhoto(request, photoItem(app, photo), photo.owner_id === user.id || user.is_admin));
  });

  app.post<IdParams>('/videos/:id/edit', page, async (request, reply) => {
    await editVideo(app, currentUser(request), request.params.id, editForm.parse(request.body));
    return reply.redirect(`/videos/${request.params.id}`, 303);
  });
  app.post<IdParams>('/photos/:id/edit', page, async (request, reply) => {
    await editPhoto(app, currentUser(request), request.params.id, editForm.parse(request.body));
    return reply.redirect(`/photos/${request.params.id}`, 303);
  });
  app.post<IdParams>('/videos/:id/delete', page, async (request, reply) => {
    await deleteVideo(app, currentUser(request), request.params.id);
    return reply.redirect('/', 303);
  });
  app.post<IdParams>('/photos/:id/delete', page, async (request, reply) => {
    await deletePhoto(app, currentUser(request), request.params.id);
    return reply.redirect('/', 303);
  });
}
