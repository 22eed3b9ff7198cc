import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import { migrate, openDatabase, type Database } from './db/index.ts';
import { createStorage } from './storage/index.ts';

/** Runs a CLI command's work on the configured database, migrated, and closes it after. */
export async function withDatabase<T>(config: Config, command: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command });
  try {
    await migrate(database.db);
    return await work(database);
  } finally {
    await database.close();
  }
}

export async function withContext<T>(config: Config, command: string, work: (ctx: AppContext) => Promise<T>): Promise<T> {
  return withDatabase(config, command, async ({ db }) => {
    const storage = await createStorage(config);
    try {
      return await work({ config, db, storage });
    } finally {
      await storage.close();
    }
  });
}
