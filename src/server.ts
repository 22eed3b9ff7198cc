import type { FastifyInstance } from 'fastify';
import { hasUsers, issueSetupToken } from './auth/users.ts';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { scheduleSweeps } from './uploads/sweep-schedule.ts';

/** `airlift serve`: builds the app, listens, and sweeps abandoned uploads in the background. */
export async function serve(config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config);
  const sweeps = scheduleSweeps(app, app.log);
  app.addHook('onClose', () => sweeps.stop());
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ storage: app.storage.kind, database: config.databaseUrl ? 'postgres' : 'pglite', url: config.publicBaseUrl }, 'Airlift is ready');

  if (!(await hasUsers(app.db))) {
    const token = await issueSetupToken(app.db);
    process.stdout.write(
      `\n  No user yet. Create the first admin at this one-time link (valid 24 hours):\n\n    ${config.publicBaseUrl}/setup/${token}\n\n` +
        `  or, with the server stopped: npx airlift user create --email you@example.com --admin --password-stdin\n\n`,
    );
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  return app;
}
