import { createUser, disableUser, enableUser } from './auth/users.ts';
import { findCommand, help, overview, parseOptions, pickCommand, usage, type Command } from './cli-args.ts';
import { withContext, withDatabase } from './cli-context.ts';
import { INTEGRATION_COMMANDS } from './cli-integrations.ts';
import { ConfigError, loadConfig } from './config.ts';
import { migrate, openDatabase } from './db/index.ts';
import { DataDirLockedError } from './db/lock.ts';
import { AppError } from './errors.ts';
import { applyCors } from './ops/cors.ts';
import { doctor, formatVerdict } from './ops/doctor.ts';
import { serve } from './server.ts';
import { StorageError } from './storage/driver.ts';
import { sweep } from './uploads/sweep.ts';

const COMMANDS: Command[] = [
  {
    words: ['serve'],
    summary: 'run the web app (npm start runs this)',
    description:
      'Runs the web app on HOST:PORT with the configured database and store, applying migrations first, and sweeps every SWEEP_INTERVAL seconds (15 minutes by default; 0: never). With no user yet it prints a one-time link to create the first admin. On SIGINT or SIGTERM it takes no new requests, gives those in flight 10 seconds, closes the database and exits.',
    options: {},
    async run(_values, config) {
      await serve(config);
      return new Promise<number>(() => {}); // runs until a signal stops it
    },
  },
  {
    words: ['migrate'],
    summary: 'apply database migrations',
    description: 'Applies the database migrations not applied yet and says which (the server also does it at start-up).',
    options: {},
    async run(_values, config) {
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'airlift migrate' });
      try {
        const applied = await migrate(database.db);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
        return 0;
      } finally {
        await database.close();
      }
    },
  },
  {
    words: ['user', 'create'],
    summary: 'create a user; the password is read from standard input',
    description:
      'Creates a user who can log in. The password is read from standard input (one line), so it never appears in the shell history or the process list: echo "$PASSWORD" | npx airlift user create --email E --password-stdin. On the embedded database, stop the server first.',
    options: {
      email: { type: 'string', value: 'E', required: true, description: 'the email address the user logs in with' },
      admin: { type: 'boolean', description: 'make the user an administrator' },
      'password-stdin': {
        type: 'boolean',
        required: true,
        missing: 'give the password on standard input with --password-stdin (it never appears in the shell history).',
        description: 'read the password from standard input',
      },
    },
    async run(values, config) {
      const password = await readStdin();
      const user = await withDatabase(config, 'airlift user create', ({ db }) => createUser(db, { email: String(values.email), password, role: values.admin === true ? 'admin' : 'editor' }));
      console.log(`Created ${user.role} ${user.email}.`);
      return 0;
    },
  },
  {
    words: ['user', 'disable'],
    summary: 'stop a user logging in, and end their sessions at once',
    description:
      'Disables a user: they can no longer log in (the login form answers as for a wrong password) and every session of theirs ends now, so their next request is refused. Their items stay. On the embedded database, stop the server first.',
    options: { email: { type: 'string', value: 'E', required: true, description: 'the email address of the user to disable' } },
    async run(values, config) {
      const user = await withDatabase(config, 'airlift user disable', ({ db }) => disableUser(db, String(values.email)));
      console.log(`Disabled ${user.email}; their sessions are ended.`);
      return 0;
    },
  },
  {
    words: ['user', 'enable'],
    summary: 'let a disabled user log in again',
    description: 'Enables a user disabled with "airlift user disable": they can log in again. On the embedded database, stop the server first.',
    options: { email: { type: 'string', value: 'E', required: true, description: 'the email address of the user to enable' } },
    async run(values, config) {
      const user = await withDatabase(config, 'airlift user enable', ({ db }) => enableUser(db, String(values.email)));
      console.log(`Enabled ${user.email}; they can log in again.`);
      return 0;
    },
  },
  {
    words: ['storage', 'cors'],
    summary: 'apply the bucket CORS rules browser uploads need',
    description:
      "Writes the bucket CORS rules the browser upload needs for PUBLIC_BASE_URL's origin (PUT, GET and HEAD, ETag exposed), showing the rules before and after; rules for other origins are kept. The local store needs none.",
    options: {},
    run: (_values, config) => applyCors(config, console.log),
  },
  {
    words: ['doctor'],
    summary: 'check configuration, credentials, bucket, CORS and a signed round trip',
    description:
      'Checks, a verdict a line, the configuration, the database, the credentials and the bucket, its CORS rules and a live preflight, a signed round trip (PUT, HEAD, GET, DELETE of a test object) and the clock. Exits 1 if any check fails. On the local store, start the server first: the round trip goes through it.',
    options: {},
    run: (_values, config) => doctor(config, console.log),
  },
  {
    words: ['sweep'],
    summary: 'remove abandoned uploads, expired sessions and other leftovers',
    description:
      'Aborts and deletes the uploads started and never completed (UPLOAD_TTL seconds, plus the life of their last URL, UPLOAD_URL_EXPIRES), completed uploads never saved into an item within UPLOAD_TTL, multipart uploads the store holds that no upload knows, and object deletes that failed before; deletes expired sessions, old login failures, expired setup links, and webhook deliveries settled (delivered or given up) over 30 days ago. ' +
      'The server also does it every SWEEP_INTERVAL seconds (15 minutes by default). One instance sweeps at a time (a lease in the database, free again a minute after a sweeper dies), and requests are answered while it runs.',
    options: {},
    async run(_values, config) {
      const result = await withContext(config, 'airlift sweep', (ctx) => sweep(ctx));
      if (!result) console.log('Another instance is sweeping right now; nothing done.');
      else {
        console.log(
          `Swept ${result.expiredTickets} expired upload(s), ${result.unsavedUploads} completed upload(s) never saved, ${result.finishedCleanups} earlier removal(s) finished, ` +
            `${result.orphanMultipart} orphan multipart upload(s), ${result.expiredSessions} expired session(s), ${result.expiredSetupTokens} expired setup link(s) ` +
            `and ${result.settledDeliveries} webhook delivery(ies) settled over 30 days ago.`,
        );
        if (result.failedCleanups) console.log(`${result.failedCleanups} store call(s) failed; the next sweep tries them again.`);
        if (result.stoppedEarly) console.log('The sweep lost its lease and stopped early; run it again to continue.');
      }
      return result?.failedCleanups ? 1 : 0;
    },
  },
  ...INTEGRATION_COMMANDS,
];

/** Runs one CLI command and returns the process exit code: 0 done, 1 failed, 2 wrong usage. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The AWS SDK warns on every run that its releases after January 2027 need Node 22; the README says it once.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [first, ...rest] = argv;
  if (first === undefined) return usageError('airlift needs a command.', overview(COMMANDS));
  if (first === 'help' || first === '--help' || first === '-h') {
    const asked = first === 'help' ? rest : [];
    if (asked.length === 0) return print(overview(COMMANDS), 0);
    if (asked.length === 1 && groupOf(asked[0]!).length > 1) return print(overview(groupOf(asked[0]!)), 0);
    const command = findCommand(COMMANDS, asked);
    return command ? print(help(command), 0) : usageError(`Unknown command "${asked.join(' ')}".`, overview(COMMANDS));
  }
  const command = pickCommand(COMMANDS, first, rest);
  if (!command) return usageError(`Unknown command "${first}".`, overview(COMMANDS));
  const parsed = parseOptions(command, rest, COMMANDS);
  if ('help' in parsed) {
    // `airlift user --help`: the group's commands, when it has several.
    const group = groupOf(first);
    return print(group.length > 1 && !rest.some((arg) => arg === command.words[1]) ? overview(group) : help(command), 0);
  }
  if ('error' in parsed) return usageError(parsed.error, usage(command));
  try {
    return await command.run(parsed.values, loadConfig(env));
  } catch (error) {
    if (first === 'doctor' && error instanceof ConfigError) {
      console.log(formatVerdict({ status: 'fail', check: 'Configuration', message: error.message }));
      return 1;
    }
    if (error instanceof ConfigError || error instanceof DataDirLockedError || error instanceof AppError || error instanceof StorageError) {
      console.error(`airlift ${first}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

const groupOf = (word: string) => COMMANDS.filter((c) => c.words[0] === word);

function print(text: string, code: number): number {
  console.log(text);
  return code;
}

/** Wrong usage: one line saying what is wrong, then how the command is called; exit code 2. */
function usageError(message: string, usageText: string): number {
  console.error(`${message}\n\n${usageText}`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
