import type { FastifyInstance } from 'fastify';
import { hasUsers, issueSetupToken } from './auth/users.ts';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { scheduleSweeps } from './uploads/sweep-schedule.ts';
import { startDeliveries } from './webhooks/worker.ts';

/**
 * On SIGTERM or SIGINT, requests in flight get this long to finish; then their connections are
 * cut. A PUT cut so on the local store keeps the bytes it received, and the page goes on from
 * them once the server is back: waiting longer would hold the embedded database (and so the
 * restart) for as long as the slowest upload.
 */
export const SHUTDOWN_GRACE_MS = 10_000;
/** A close still not done this long after the cut (a database that does not answer) ends the process anyway. */
const SHUTDOWN_GIVE_UP_MS = 5_000;

/** `airlift serve`: builds the app, listens, and in the background sweeps abandoned uploads and delivers webhooks. */
export async function serve(config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config);
  const sweeps = scheduleSweeps(app, app.log);
  app.addHook('onClose', () => sweeps.stop());
  // Stopped before the server closes: sends in flight are cut and their deliveries handed back while the database is open.
  const deliveries = startDeliveries(app, app.log);
  app.addHook('preClose', () => deliveries.stop());
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ storage: app.storage.kind, database: config.databaseUrl ? 'postgres' : 'pglite', url: config.publicBaseUrl }, 'Airlift is ready');

  if (!(await hasUsers(app.db))) {
    const token = await issueSetupToken(app.db);
    process.stdout.write(
      `\n  No user yet. Create the first admin at this one-time link (valid 24 hours):\n\n    ${config.publicBaseUrl}/setup/${token}\n\n` +
        `  or, with the server stopped: npx airlift user create --email you@example.com --admin --password-stdin\n\n`,
    );
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => shutDown(app, signal));
  return app;
}

/**
 * Stops taking connections, turns new requests on open ones away with 503 `shutting_down`
 * (app.ts), gives those in flight `SHUTDOWN_GRACE_MS`, cuts the rest, closes the database and
 * the store (releasing the embedded database's lock), and exits 0.
 */
function shutDown(app: FastifyInstance, signal: string): void {
  const started = performance.now();
  app.log.info({ signal, grace_ms: SHUTDOWN_GRACE_MS }, 'shutting down: no new requests, those in flight may finish');
  const giveUp = setTimeout(() => {
    app.log.error('shutdown did not finish in time; exiting anyway');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS + SHUTDOWN_GIVE_UP_MS);
  const cut = setTimeout(() => {
    app.log.warn('cutting the requests still in flight');
    app.server.closeAllConnections();
  }, SHUTDOWN_GRACE_MS);
  for (const timer of [cut, giveUp]) timer.unref();
  app.close().then(
    () => {
      app.log.info({ ms: Math.round(performance.now() - started) }, 'stopped');
      process.exit(0);
    },
    (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}
