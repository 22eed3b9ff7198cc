import type { FastifyInstance } from 'fastify';
import { route } from '../api/route.ts';
import { currentUser } from '../auth/plugin.ts';
import { changeUser, createUser, listUsers } from '../auth/users.ts';
import { parseId } from '../db/ids.ts';
import type { User } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import type { UserView } from '../shared/admin-api.ts';
import { OPERATIONS } from '../shared/operations.ts';
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

/** The admins' API: users (`/api/v1/users`) and the status (`/api/v1/status`); 403 to an editor (the operations' `auth: 'admin'`). */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  route(app, OPERATIONS.listUsers, async () => ({ users: (await listUsers(app.db)).map(userView) }));
  route(app, OPERATIONS.createUser, async ({ request, body }) => {
    const user = await createUser(app.db, body);
    request.log.info({ user: user.id, role: user.role, by: currentUser(request).id }, 'user created');
    return userView(user);
  });
  route(app, OPERATIONS.changeUser, async ({ request, params, body: change }) => {
    const user = await changeUser(app.db, userId(params.id), change);
    request.log.info({ user: user.id, role: change.role, disabled: change.disabled, password: change.password !== undefined, by: currentUser(request).id }, 'user changed');
    return userView(user);
  });

  route(app, OPERATIONS.readStatus, async () => readStatus(app));
  route(app, OPERATIONS.runStatusChecks, async () => ({ verdicts: await runStatusChecks(app) }));
}
