import type { FastifyInstance } from 'fastify';
import { OPERATIONS } from '../shared/operations.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { route } from './route.ts';

/**
 * `GET /api/v1/openapi.json`. Public, like the README that points to it: it describes the API
 * and holds no secret. Registered outside the session scope, so no cookie is read or set and a
 * stale token in a client's headers does not stop it from reading the description.
 */
export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  const document: Record<string, unknown> = { ...buildOpenApiDocument(app.config.publicBaseUrl) };
  route(app, OPERATIONS.openApi, async ({ reply }) => {
    reply.header('cache-control', 'public, max-age=300');
    return document;
  });
}
