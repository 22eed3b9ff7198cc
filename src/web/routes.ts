import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { currentUser, requirePageUser } from '../auth/plugin.ts';
import { editMediaBody } from '../shared/api.ts';
import { canEdit } from '../shared/roles.ts';
import { deleteItem, editItem, getRow, listItems } from '../media/service.ts';
import { librarySection, renderLibrary } from './pages/library.ts';
import { PHOTO_VIEW, renderItem, VIDEO_VIEW, type ItemView, type ShownItem } from './pages/item.ts';
import { renderUploadForm } from './pages/upload-forms.ts';

type IdParams = { Params: { id: string } };
const page = { config: { page: true }, onRequest: requirePageUser };
const send = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
const libraryQuery = z.object({ videos: z.string().max(100).optional(), photos: z.string().max(100).optional() });
const editForm = editMediaBody.extend({ csrf_token: z.string() }).transform(({ csrf_token: _, ...edit }) => edit);

/** The server-rendered pages; uploads are driven by the bundled client on the form pages. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', page, async (request, reply) => {
    const query = libraryQuery.parse(request.query);
    // Each section pages on its own: `?videos=<cursor>` leaves the photos at their newest.
    const section = async <Row, Item extends ShownItem>(view: ItemView<Row, Item>) =>
      librarySection(view, await listItems(app, view.type, { cursor: query[view.type.plural] }));
    return send(reply, renderLibrary(request, await Promise.all([section(VIDEO_VIEW), section(PHOTO_VIEW)])));
  });
  itemPages(app, VIDEO_VIEW);
  itemPages(app, PHOTO_VIEW);
}

/** `/<plural>/new`, `/<plural>/:id`, and the item page's edit and delete forms. */
function itemPages<Row extends { owner_id: number }, Item extends ShownItem>(app: FastifyInstance, view: ItemView<Row, Item>): void {
  const { type } = view;
  const path = `/${type.plural}`;
  app.get(`${path}/new`, page, async (request, reply) => send(reply, renderUploadForm(request, type.noun)));
  app.get<IdParams>(`${path}/:id`, page, async (request, reply) => {
    const row = await getRow(app, type, request.params.id);
    return send(reply, renderItem(request, view, type.item(app, row), canEdit(currentUser(request), row)));
  });
  app.post<IdParams>(`${path}/:id/edit`, page, async (request, reply) => {
    await editItem(app, type, currentUser(request), request.params.id, editForm.parse(request.body));
    return reply.redirect(`${path}/${request.params.id}`, 303);
  });
  app.post<IdParams>(`${path}/:id/delete`, page, async (request, reply) => {
    await deleteItem(app, type, currentUser(request), request.params.id);
    return reply.redirect('/', 303);
  });
}
