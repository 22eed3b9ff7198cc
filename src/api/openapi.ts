import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { translator } from '../shared/i18n/index.ts';
import { needsCsrf, OPERATION_LIST, refusalsOf, TAGS, tokenScope, type Operation } from '../shared/operations.ts';

/** The OpenAPI 3.1 document as JSON: what `/api/v1/openapi.json` serves. */
export type OpenApiDocument = ReturnType<typeof createDocument>;

/** Fastify's `/api/v1/uploads/:id` as OpenAPI writes it: `/api/v1/uploads/{id}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

export const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'airlift_session',
    description: 'The session cookie `POST /login` sets (`__Host-airlift_session` on https).',
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRFToken',
    description: 'With a session, every method but GET sends the `csrftoken` cookie’s value back in this header (or as the `csrf_token` form field).',
  },
  token: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`npx airlift token create`, or /admin/tokens) on `/api/v1/*`, without cookie or CSRF token. Scope `read` only GETs; `write` does everything its user may.',
  },
} as const;

/** Who may call: a session (with the CSRF header on unsafe methods), or a token of the scope needed. */
export function securityOf(operation: Operation): Record<string, string[]>[] {
  if (operation.auth === 'none') return [];
  const scope = tokenScope(operation);
  return [needsCsrf(operation) ? { session: [], csrf: [] } : { session: [] }, ...(scope ? [{ token: [scope] }] : [])];
}

const errorAnswer = (codes: readonly string[]) =>
  z.object({
    error: z.object({
      code: z.enum(codes as [string, ...string[]]).meta({ description: 'Stable: what a program tests.' }),
      message: z.string().meta({ description: 'For people, in English; the pages say it in the reader’s language.' }),
    }),
  });

function operationObject(operation: Operation): ZodOpenApiOperationObject {
  const en = translator('en');
  const responses: ZodOpenApiOperationObject['responses'] = {
    [operation.status]: operation.answer
      ? { description: en('api:answer.success'), content: { 'application/json': { schema: operation.answer } } }
      : { description: en('api:answer.noContent') },
  };
  for (const refusal of refusalsOf(operation)) {
    responses[String(refusal.status) as `${1 | 2 | 3 | 4 | 5}${string}`] = { description: en('api:answer.refusal', { codes: refusal.codes.join(', ') }), content: { 'application/json': { schema: errorAnswer(refusal.codes) } } };
  }
  const { body } = operation;
  return {
    operationId: operation.id,
    summary: en(`api:op.${operation.id}`),
    tags: [operation.tag],
    security: securityOf(operation),
    ...((operation.params || operation.query) && {
      requestParams: { ...(operation.params && { path: operation.params as z.ZodObject }), ...(operation.query && { query: operation.query as z.ZodObject }) },
    }),
    ...(body && {
      requestBody: {
        // A body that may be left out: the server reads none as `{}`.
        required: !body.safeParse({}).success,
        content: { 'application/json': { schema: body, ...(operation.example?.body !== undefined && { example: operation.example.body }) } },
      },
    }),
    responses,
  };
}

/** The parameters' examples, which zod-openapi takes only from the schemas: set from the operation's example request. */
function addParameterExamples(document: OpenApiDocument): void {
  for (const operation of OPERATION_LIST) {
    const parameters = document.paths?.[openApiPath(operation.path)]?.[lower(operation.method)]?.parameters ?? [];
    for (const parameter of parameters) {
      if (!('in' in parameter)) continue;
      const values = operation.example?.[parameter.in === 'path' ? 'params' : 'query'] as Record<string, unknown> | undefined;
      if (values?.[parameter.name] !== undefined) parameter.example = values[parameter.name];
    }
  }
}

const lower = (method: Operation['method']) => method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';

/** The OpenAPI 3.1 document of every operation (src/shared/operations.ts), served from `serverUrl`. */
export function buildOpenApiDocument(serverUrl: string): OpenApiDocument {
  const en = translator('en');
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of OPERATION_LIST) {
    const path = (paths[openApiPath(operation.path)] ??= {});
    path[lower(operation.method)] = operationObject(operation);
  }
  const document = createDocument(
    {
      openapi: '3.1.0',
      info: { title: 'Airlift API', version: '1', description: en('api:intro') },
      servers: [{ url: serverUrl }],
      tags: TAGS.map((tag) => ({ name: tag, description: en(`api:tag.${tag}`) })),
      paths,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
  );
  addParameterExamples(document);
  return document;
}
