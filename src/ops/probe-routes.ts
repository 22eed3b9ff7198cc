import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.ts';
import { registry } from '../metrics.ts';
import { notReadyMessage, readiness } from './readiness.ts';

/**
 * What a load balancer and Prometheus ask: `/healthz` (the process serves), `/readyz` (the
 * database and the store answer; 503 naming which does not) and `/metrics`. Registered outside
 * the session scope: no cookie is read or set.
 */
export async function probeRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const result = await readiness(app);
    if (result.ready) return { status: 'ready', checks: result.checks };
    request.log.warn({ checks: result.checks, err: result.errors[0] }, 'not ready');
    return reply.status(503).header('retry-after', '5').send({ error: { code: 'not_ready', message: notReadyMessage(result) }, checks: result.checks });
  });

  app.get('/metrics', async (request, reply) => {
    if (!mayReadMetrics(request, app.config.metricsToken)) {
      reply.header('www-authenticate', 'Bearer');
      throw new AppError(401, 'unauthorized', 'Metrics are served to loopback callers, or with Authorization: Bearer and the METRICS_TOKEN.');
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/**
 * A loopback caller (the address TRUST_PROXY makes of it, and no proxy's header on a request
 * no proxy is trusted for: a proxy on this machine would make every visitor look local), or
 * the METRICS_TOKEN as a Bearer token.
 */
function mayReadMetrics(request: FastifyRequest, token: string | null): boolean {
  const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (token && bearer) return sameSecret(bearer, token);
  const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return isLoopback(request.ip) && (request.ip !== request.socket.remoteAddress || !forwarded);
}

function isLoopback(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'loopback';
}

const digest = (value: string) => createHash('sha256').update(value).digest();
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));
