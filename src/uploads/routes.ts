import type { FastifyInstance } from 'fastify';
import { currentUser, requireUser } from '../auth/plugin.ts';
import { completeUploadBody, createUploadBody, signPartsBody } from '../shared/api.ts';
import { abortUpload, completeUpload, createUpload, describeUpload, signParts } from './service.ts';

type IdParams = { Params: { id: string } };

/** The versioned upload API: `/api/v1/uploads`. */
export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireUser);

  app.post('/api/v1/uploads', async (request, reply) => {
    const user = currentUser(request);
    const input = createUploadBody.parse(request.body);
    const created = await createUpload(app, user, input);
    request.log.info({ upload: created.id, kind: input.kind, size: input.size, strategy: created.strategy, user: user.id }, 'upload granted');
    return reply.status(201).send(created);
  });

  app.post<IdParams>('/api/v1/uploads/:id/parts', async (request) =>
    signParts(app, currentUser(request), request.params.id, signPartsBody.parse(request.body)),
  );

  app.get<IdParams>('/api/v1/uploads/:id', async (request) => describeUpload(app, currentUser(request), request.params.id));

  app.post<IdParams>('/api/v1/uploads/:id/complete', async (request) => {
    const completed = await completeUpload(app, currentUser(request), request.params.id, completeUploadBody.parse(request.body ?? {}));
    request.log.info({ upload: completed.id, size: completed.size }, 'upload completed');
    return completed;
  });

  app.delete<IdParams>('/api/v1/uploads/:id', async (request, reply) => {
    await abortUpload(app, currentUser(request), request.params.id);
    request.log.info({ upload: request.params.id }, 'upload aborted');
    return reply.status(204).send();
  });
}
