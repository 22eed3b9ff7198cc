import type { FastifyInstance } from 'fastify';
import { route } from '../api/route.ts';
import { currentUser } from '../auth/plugin.ts';
import { OPERATIONS } from '../shared/operations.ts';
import { abortUpload, completeUpload, createUpload, describeUpload, signParts } from './service.ts';

/** The versioned upload API: `/api/v1/uploads`. */
export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  route(app, OPERATIONS.createUpload, async ({ request, body }) => {
    const user = currentUser(request);
    const created = await createUpload(app, user, body);
    request.log.info({ upload: created.id, kind: body.kind, size: body.size, strategy: created.strategy, user: user.id }, 'upload granted');
    return created;
  });

  route(app, OPERATIONS.signParts, async ({ request, params, body }) => signParts(app, currentUser(request), params.id, body));

  route(app, OPERATIONS.getUpload, async ({ request, params }) => describeUpload(app, currentUser(request), params.id));

  route(app, OPERATIONS.completeUpload, async ({ request, params, body }) => {
    const completed = await completeUpload(app, currentUser(request), params.id, body);
    request.log.info({ upload: completed.id, size: completed.size }, 'upload completed');
    return completed;
  });

  route(app, OPERATIONS.abortUpload, async ({ request, params }) => {
    await abortUpload(app, currentUser(request), params.id);
    request.log.info({ upload: params.id }, 'upload aborted');
  });
}
