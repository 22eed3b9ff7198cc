import type { FastifyRequest } from 'fastify';
import type { User } from '../db/schema.ts';
import { forbidden } from '../errors.ts';
import { currentUser } from './plugin.ts';

export const isAdmin = (user: User | null | undefined) => user?.role === 'admin';

/**
 * A route's `preHandler` for admins only: after the login check (`onRequest`), 403 to an
 * editor — JSON on the API, the error page on pages.
 */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (!isAdmin(currentUser(request))) throw forbidden('Only an administrator can do this.', 'admin_only');
}
