import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { DB } from './db/schema.ts';
import type { StorageDriver } from './storage/driver.ts';

/** What the services need: the Fastify app satisfies it, and so can a CLI command. */
export interface AppContext {
  config: Config;
  db: Kysely<DB>;
  storage: StorageDriver;
}
