import type { FastifyInstance } from 'fastify';
import { currentUser, requireUser } from '../auth/plugin.ts';
import { requireAdmin } from '../auth/roles.ts';
import { changeUser, createUser, listUsers } from '../auth/users.ts';
import { parseId } from '../db/ids.ts';
import type { User } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { changeUserBody, createUserBody, type UserView } from '../shared/admin-api.ts';
import { readStatus, runStatusChecks } from './status.ts';

const userView = (user: User): UserView => ({
  id: user.id,
  email: user.email,
  role: user.role,
  disabled: user.disabled_at !== null,
  created_at: new Date(user.created_at).toISOString(),
});

/** A user id in a path, or 404. */
function userId(raw: string): number {
  const id = parseId(raw);
  if (id === null) throw notFound('No such user.');
  return id;
}

/** The admins' API: users (`/api/v1/users`) and the status (`/api/v1/status`); 403 to an editor. */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireUser);
  // After the CSRF check (a preHandler registered before this scope), so a forged request is refused as such.
  app.addHook('preHandler', requireAdmin);

  app.get('/api/v1/users', async () => ({ users: (await listUsers(app.db)).map(userView) }));
  app.post('/api/v1/users', async (request, reply) => {
    const user = await createUser(app.db, createUserBody.parse(request.body));
    request.log.info({ user: user.id, role: user.role, by: currentUser(request).id }, 'user created');
    return reply.status(201).send(userView(user));
  });
  app.patch<{ Params: { id: string } }>('/api/v1/users/:id', async (request) => {
    const change = changeUserBody.parse(request.body);
    const user = await changeUser(app.db, userId(request.params.id), change);
    request.log.info({ user: user.id, role: change.role, disabled: change.disabled, password: change.password !== undefined, by: currentUser(request).id }, 'user changed');
    return userView(user);
  });

  app.get('/api/v1/status', async () => readStatus(app));
  app.post('/api/v1/status/checks', async () => ({ verdicts: await runStatusChecks(app) }));
}
