import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import type { z } from 'zod';
import { requireUser } from '../auth/plugin.ts';
import { requireAdmin } from '../auth/roles.ts';
import type { Operation } from '../shared/operations.ts';

type Parsed<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;
type Schemas<Op> = Op extends Operation<infer Body, infer Query, infer Params, infer Answer> ? { body: Body; query: Query; params: Params; answer: Answer } : never;

/** What a handler gets: the request parsed by the operation's schemas. */
export interface RouteInput<Op extends Operation> {
  body: Parsed<Schemas<Op>['body']>;
  query: Parsed<Schemas<Op>['query']>;
  params: Parsed<Schemas<Op>['params']>;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** What a handler returns: the answer as its schema takes it, or nothing for a 204. */
type Answer<Op extends Operation> = Schemas<Op>['answer'] extends z.ZodType ? z.input<Schemas<Op>['answer']> : void;

/** Fastify's hooks for an operation's auth: a JSON 401 without a user, then (after the CSRF check) 403 to a non-admin. */
function authHooks(operation: Operation): { onRequest?: onRequestHookHandler; preHandler?: preHandlerHookHandler } {
  if (operation.auth === 'none') return {};
  return { onRequest: requireUser, ...(operation.auth === 'admin' && { preHandler: requireAdmin }) };
}

/**
 * Registers `operation` as its list says (src/shared/operations.ts): its method and path, its
 * auth, its input parsed with its schemas (a refusal is the 400 `invalid_request`), and its
 * success status. The handler returns the answer; a 204 sends none.
 */
export function route<Op extends Operation>(app: FastifyInstance, operation: Op, handler: (input: RouteInput<Op>) => Promise<Answer<Op>>): void {
  app.route({
    method: operation.method,
    url: operation.path,
    ...authHooks(operation),
    handler: async (request, reply) => {
      const input = {
        // The params first: a path that names nothing is a 404 before a body is judged.
        params: operation.params?.parse(request.params),
        query: operation.query?.parse(request.query),
        // No body reads as an empty one, so the message names the missing fields; a JSON `null` is a body, and refused.
        body: operation.body?.parse(request.body === undefined ? {} : request.body),
        request,
        reply,
      } as RouteInput<Op>;
      const answer = await handler(input);
      reply.status(operation.status);
      return operation.status === 204 ? reply.send() : reply.send(answer);
    },
  });
}
