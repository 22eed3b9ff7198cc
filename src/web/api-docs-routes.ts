import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from '../api/openapi.ts';
import { renderApiDocs } from './pages/api-docs.ts';

/** `/api/docs`: the API for people. Public, like `/api/v1/openapi.json` it renders; the header shows the reader's session if any. */
export async function apiDocsRoutes(app: FastifyInstance): Promise<void> {
  const document = buildOpenApiDocument(app.config.publicBaseUrl);
  app.get('/api/docs', { config: { page: true } }, async (request, reply) => reply.type('text/html; charset=utf-8').send(renderApiDocs(request, document)));
}
