import { parseArgs } from 'node:util';
import { createUser } from './auth/users.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import { migrate, openDatabase, type Database } from './db/index.ts';
import { DataDirLockedError } from './db/lock.ts';
import { AppError } from './errors.ts';
import { applyCors } from './ops/cors.ts';
import { doctor, formatVerdict } from './ops/doctor.ts';
import { serve } from './server.ts';
import { StorageError } from './storage/driver.ts';
import { createStorage } from './storage/index.ts';
import { sweep } from './uploads/sweep.ts';

const USAGE = `Usage: airlift <command>

  serve                          run the web app (the default of npm start)
  migrate                        apply database migrations
  user create --email E [--admin] --password-stdin
                                 create a user; the password is read from standard input
  storage cors                   apply the bucket CORS rules browser uploads need
  doctor                         check configuration, credentials, bucket, CORS and a signed round trip
  sweep                          abort and delete uploads that were never completed

Configuration comes from the environment; see the README.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function withDatabase<T>(config: Config, command: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command });
  try {
    await migrate(database.db);
    return await work(database);
  } finally {
    await database.close();
  }
}

async function withContext<T>(config: Config, command: string, work: (ctx: AppContext) => Promise<T>): Promise<T> {
  return withDatabase(config, command, async ({ db }) => {
    const storage = await createStorage(config);
    try {
      return await work({ config, db, storage });
    } finally {
      await storage.close();
    }
  });
}

const COMMANDS: Record<string, (args: string[], config: Config) => Promise<number>> = {
  async serve(_args, config) {
    await serve(config);
    return new Promise<number>(() => {}); // runs until a signal stops it
  },

  async migrate(_args, config) {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'airlift migrate' });
    try {
      const applied = await migrate(database.db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      return 0;
    } finally {
      await database.close();
    }
  },

  async user(args, config) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { email: { type: 'string' }, admin: { type: 'boolean', default: false }, 'password-stdin': { type: 'boolean', default: false } },
    });
    if (positionals[0] !== 'create' || !values.email) {
      console.error('Usage: airlift user create --email E [--admin] --password-stdin');
      return 2;
    }
    if (!values['password-stdin']) {
      console.error('Give the password on standard input with --password-stdin (it never appears in the shell history).');
      return 2;
    }
    const password = await readStdin();
    const user = await withDatabase(config, 'airlift user create', ({ db }) => createUser(db, { email: values.email!, password, isAdmin: values.admin! }));
    console.log(`Created ${user.is_admin ? 'admin' : 'user'} ${user.email}.`);
    return 0;
  },

  async storage(args, config) {
    if (args[0] !== 'cors' || args.length > 1) {
      console.error('Usage: airlift storage cors');
      return 2;
    }
    return applyCors(config, console.log);
  },

  async doctor(_args, config) {
    return doctor(config, console.log);
  },

  async sweep(_args, config) {
    const result = await withContext(config, 'airlift sweep', (ctx) => sweep(ctx));
    if (!result) console.log('Another instance is sweeping right now; nothing done.');
    else console.log(`Swept ${result.expiredTickets} expired upload(s), ${result.orphanMultipart} orphan multipart upload(s) and ${result.expiredSessions} expired session(s).`);
    return 0;
  },
};

/** Runs one CLI command and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...args] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(command && command !== 'help' && command !== '--help' ? `Unknown command "${command}".\n\n${USAGE}` : USAGE);
    return command === 'help' || command === '--help' ? 0 : 2;
  }
  try {
    return await run(args, loadConfig(env));
  } catch (error) {
    if (command === 'doctor' && error instanceof ConfigError) {
      console.log(formatVerdict({ status: 'fail', check: 'Configuration', message: error.message }));
      return 1;
    }
    if (error instanceof ConfigError || error instanceof DataDirLockedError || error instanceof AppError || error instanceof StorageError) {
      console.error(`airlift ${command}: ${error.message}`);
      return 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}
