import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { currentUser, requirePageUser } from '../auth/plugin.ts';
import { forbidden } from '../errors.ts';
import { editMediaBody, listMediaQuery } from '../shared/api.ts';
import { canEdit } from '../shared/roles.ts';
import { deleteItem, editItem, getRow, listOwnedItems, ownerEmails } from '../media/service.ts';
import { LIBRARY_TYPES, librarySection, renderLibrary, type LibraryState } from './pages/library.ts';
import { PHOTO_VIEW, renderDeleteConfirmation, renderItem, VIDEO_VIEW, type ItemView, type ShownItem } from './pages/item.ts';
import { renderUploadForm } from './pages/upload-forms.ts';

type IdParams = { Params: { id: string } };
const page = { config: { page: true }, onRequest: requirePageUser };
const send = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
const cursor = listMediaQuery.shape.cursor;
/** The library's GET form (`q`, `sort`, `type`) and a cursor per section: `?videos=<cursor>` pages the videos and leaves the photos where they are. */
const libraryQuery = z
  .object({ q: listMediaQuery.shape.q, sort: listMediaQuery.shape.sort, type: z.enum(LIBRARY_TYPES).default('all'), videos: cursor, photos: cursor, deleted: z.enum(['videos', 'photos']).optional() })
  .transform(({ q, sort, type, videos, photos, deleted }): LibraryState => ({ q: q?.trim() ?? '', sort, type, cursors: { videos, photos }, deleted }));
const editForm = editMediaBody.extend({ csrf_token: z.string() }).transform(({ csrf_token: _, ...edit }) => edit);

/** The server-rendered pages; uploads are driven by the bundled client on the form pages. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', page, async (request, reply) => {
    const state = libraryQuery.parse(request.query);
    const section = async <Row, Item extends ShownItem>(view: ItemView<Row, Item>) => {
      const { plural } = view.type;
      return librarySection(request, view, await listOwnedItems(app, view.type, { q: state.q, sort: state.sort, cursor: state.cursors[plural] }), state);
    };
    const shown = [VIDEO_VIEW, PHOTO_VIEW].filter((view) => state.type === 'all' || state.type === view.type.plural);
    const sections = [];
    // One after the other: PGlite answers one query at a time anyway.
    for (const view of shown) sections.push(await section(view as ItemView<unknown, ShownItem>));
    return send(reply, renderLibrary(request, state, sections));
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
    const owner = (await ownerEmails(app, [row.owner_id])).get(row.owner_id) ?? null;
    return send(reply, renderItem(request, view, type.item(app, row), { owner, canEdit: canEdit(currentUser(request), row) }));
  });
  // The confirmation step: only a GET that asks; the POST below deletes.
  app.get<IdParams>(`${path}/:id/delete`, page, async (request, reply) => {
    const row = await getRow(app, type, request.params.id);
    if (!canEdit(currentUser(request), row)) throw forbidden('Only the person who uploaded this item, or an admin, may delete it.');
    return send(reply, renderDeleteConfirmation(request, view, type.item(app, row)));
  });
  app.post<IdParams>(`${path}/:id/edit`, page, async (request, reply) => {
    await editItem(app, type, currentUser(request), request.params.id, editForm.parse(request.body));
    return reply.redirect(`${path}/${request.params.id}`, 303);
  });
  app.post<IdParams>(`${path}/:id/delete`, page, async (request, reply) => {
    await deleteItem(app, type, currentUser(request), request.params.id);
    return reply.redirect(`/?deleted=${type.plural}`, 303);
  });
}
