/**
 * Airlift for the benchmark, in a process of its own so that its CPU time and memory are
 * its own: the real app (`buildApp`) on the configuration in its environment (the embedded
 * database, and the local store or the S3 store the R2_* variables name), with one user.
 *
 * Started by bench/run.ts with `fork`; answers the runner's questions over IPC:
 *   {op: 'presign', key, size, contentType} → a single-PUT URL for exactly `size` bytes
 *   {op: 'delete', key}                     → removes the object
 */
import { createUser } from '../src/auth/users.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';

export type AppRequest = { id: number } & ({ op: 'presign'; key: string; size: number; contentType: string } | { op: 'delete'; key: string });
export type AppReply = { id: number; result?: unknown; error?: string };
export interface AppReady {
  ready: true;
  baseUrl: string;
  storage: 'local' | 's3';
}

const email = process.env.BENCH_EMAIL ?? 'bench@example.com';
const password = process.env.BENCH_PASSWORD ?? 'benchmark password 1';

const config = loadConfig(process.env);
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'bench app-server' });
// Logs as `airlift serve` writes them (JSON lines at the configured level); the runner sends them to /dev/null.
const app = await buildApp(config, { database });
await createUser(app.db, { email, password, role: 'editor' });
await app.listen({ port: config.port, host: config.host });

process.on('message', (message: AppRequest) => {
  const answer = async (): Promise<unknown> => {
    switch (message.op) {
      case 'presign':
        return app.storage.presignPut(message.key, { contentType: message.contentType, contentLength: message.size, expiresIn: 3600 });
      case 'delete':
        return app.storage.delete(message.key);
    }
  };
  answer().then(
    (result) => process.send!({ id: message.id, result } satisfies AppReply),
    (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies AppReply),
  );
});
process.on('disconnect', () => {
  app.close().then(
    () => database.close().finally(() => process.exit(0)),
    () => process.exit(1),
  );
});
process.send!({ ready: true, baseUrl: config.publicBaseUrl, storage: app.storage.kind } satisfies AppReady);
