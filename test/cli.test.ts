/** The `airlift` command as users run it: a real process on a fresh DATA_DIR. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.ts';
import { freePort, loginAs } from './harness.ts';

const BIN = fileURLToPath(new URL('../bin/airlift.js', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-cli-'));
  dirs.push(dir);
  return dir;
}

function airlift(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Starts `airlift serve` and resolves once it printed its setup link (or ready line). */
function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', ...env } });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      if (output.includes('/setup/') || output.includes('Airlift is ready')) resolve(output);
    });
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('close', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  const stopped = new Promise((resolve) => child.on('close', resolve));
  return { ready, stop: () => (child.kill('SIGTERM'), stopped) };
}

describe('airlift CLI', { timeout: 180_000 }, () => {
  it('creates a user from a password on standard input, who can then log in', async () => {
    const DATA_DIR = await dataDir();
    const created = await airlift(['user', 'create', '--email', 'cli@example.com', '--admin', '--password-stdin'], { DATA_DIR }, 'a long cli password\n');
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('Created admin cli@example.com.');
    expect(created.code).toBe(0);
    const again = await airlift(['user', 'create', '--email', 'CLI@example.com', '--password-stdin'], { DATA_DIR }, 'another long password');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');

    const port = await freePort();
    const server = serve({ DATA_DIR, PORT: String(port), HOST: '127.0.0.1' });
    try {
      const output = await server.ready;
      expect(output).not.toContain('/setup/');
      await loginAs(`http://127.0.0.1:${port}`, 'cli@example.com', 'a long cli password');
      // While the server holds the embedded database, a second process refuses clearly and harms nothing.
      const blocked = await airlift(['user', 'create', '--email', 'late@example.com', '--password-stdin'], { DATA_DIR }, 'a long password here');
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(/embedded database is in use by "airlift serve" \(process \d+/);
    } finally {
      await server.stop();
    }
    const migrated = await airlift(['migrate'], { DATA_DIR });
    expect(migrated.stdout).toContain('The database is up to date.');
  });

  it('prints a one-time setup link when there is no user yet', async () => {
    const DATA_DIR = await dataDir();
    const port = await freePort();
    const server = serve({ DATA_DIR, PORT: String(port), HOST: '127.0.0.1' });
    try {
      const link = /(http:\/\/\S+\/setup\/[\w-]+)/.exec(await server.ready)![1]!;
      expect((await fetch(link)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('stops with a message naming what is wrong in the configuration', async () => {
    const half = await airlift(['serve'], { DATA_DIR: await dataDir(), R2_ACCESS_KEY_ID: 'x', R2_BUCKET_NAME: 'b' });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('R2_SECRET_ACCESS_KEY, R2_ENDPOINT_URL are missing');
    const doctor = await airlift(['doctor'], { DATA_DIR: await dataDir(), R2_ENDPOINT_URL: 'https://x.r2.cloudflarestorage.com' });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('✗ Configuration: R2 storage is half configured');
    const usage = await airlift(['frobnicate'], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Unknown command "frobnicate"');
    const noStdin = await airlift(['user', 'create', '--email', 'a@b.co'], { DATA_DIR: await dataDir() });
    expect(noStdin.code).toBe(2);
    expect(noStdin.stderr).toContain('--password-stdin');
  });

  it('answers --help with exit 0, and a wrong option with one line and the usage, exit 2, as a real process', async () => {
    const [helped, refused] = await Promise.all([airlift(['user', 'create', '--help'], {}), airlift(['user', 'create', '--frob'], {})]);
    expect(helped).toMatchObject({ code: 0, stderr: '' });
    expect(helped.stdout).toMatch(/^Usage: airlift user create --email E \[--admin\] --password-stdin\n/);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe('airlift user create: unknown option --frob.\n\nUsage: airlift user create --email E [--admin] --password-stdin\n');
  });

  it("prints no AWS SDK warning about Node's version (the README says it once)", async () => {
    const env = { DATA_DIR: await dataDir(), R2_ACCESS_KEY_ID: 'x', R2_SECRET_ACCESS_KEY: 'y', R2_BUCKET_NAME: 'b', R2_ENDPOINT_URL: 'http://127.0.0.1:9' };
    const doctor = await airlift(['doctor'], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('✗ Credentials and bucket: Cannot reach the store');
    expect(doctor.stderr).toBe('');
  });
});

/** `airlift <args>` in this process, as bin/airlift.js calls it: exit code, and what went to stdout and stderr. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  try {
    const code = await main(args, { DATA_DIR: os.tmpdir() });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('airlift help and usage', () => {
  const COMMANDS: [string[], string[]][] = [
    [['serve'], []],
    [['migrate'], []],
    [['user', 'create'], ['--email E', '--admin', '--password-stdin']],
    [['user', 'disable'], ['--email E']],
    [['user', 'enable'], ['--email E']],
    [['storage', 'cors'], []],
    [['doctor'], []],
    [['sweep'], []],
  ];

  it.each([[['--help']], [['-h']], [['help']]])('%j lists every command and how it is called, exit 0', async (args) => {
    const { code, stdout, stderr } = await inProcess(args);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: airlift <command> \[options\]/);
    for (const [words] of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${words.join(' ')}( |$)`, 'm'));
    expect(stdout).toContain('user create --email E [--admin] --password-stdin');
  });

  it.each([[['user', '--help']], [['help', 'user']]])('%j lists the user commands, exit 0', async (args) => {
    const { code, stdout } = await inProcess(args);
    expect(code).toBe(0);
    for (const sub of ['create', 'disable', 'enable']) expect(stdout).toMatch(new RegExp(`^  user ${sub} --email E`, 'm'));
    expect(stdout).not.toMatch(/^ {2}serve/m);
  });

  it.each(COMMANDS)('describes %j and each of its options with --help, -h and help, exit 0', async (words, options) => {
    // A group's word alone with --help lists the group's commands when it has several (below).
    const alone = COMMANDS.filter(([w]) => w[0] === words[0]).length === 1 ? [[words[0]!, '--help']] : [];
    for (const args of [[...words, '--help'], [...words, '-h'], ['help', ...words], ...alone]) {
      const { code, stdout, stderr } = await inProcess(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stderr).toBe('');
      const [first, blank, description] = stdout.split('\n');
      expect(first).toMatch(new RegExp(`^Usage: airlift ${words.join(' ')}`));
      expect(blank).toBe('');
      expect(description!.length).toBeGreaterThan(40);
      for (const option of [...options, '-h, --help']) expect(stdout).toMatch(new RegExp(`^  ${option} +\\S`, 'm'));
    }
  });

  it.each([
    [['user', 'create', '--frob'], 'airlift user create: unknown option --frob.', 'Usage: airlift user create --email E [--admin] --password-stdin'],
    [['user', '--email', 'a@b.co'], 'airlift user needs a subcommand: create, disable and enable.', 'Usage: airlift user create'],
    [['user', 'delete'], 'airlift user has no subcommand "delete"; it has create, disable and enable.', 'Usage: airlift user create'],
    [['user', 'create', '--email'], 'airlift user create: --email needs a value.', 'Usage: airlift user create'],
    [['user', 'create', '--email', '--admin', '--password-stdin'], 'airlift user create: --email needs a value.', 'Usage: airlift user create'],
    [['user', 'create', '--password-stdin'], 'airlift user create: --email is required.', 'Usage: airlift user create'],
    [['user', 'create', '--email', 'a@b.co'], 'airlift user create: give the password on standard input with --password-stdin (it never appears in the shell history).', 'Usage: airlift user create'],
    [['user', 'create', '--email', 'a@b.co', '--admin=yes', '--password-stdin'], 'airlift user create: --admin takes no value.', 'Usage: airlift user create'],
    [['serve', '--port', '80'], 'airlift serve: unknown option --port.', 'Usage: airlift serve'],
    [['storage'], 'airlift storage needs a subcommand: cors.', 'Usage: airlift storage cors'],
    [['sweep', 'now'], 'airlift sweep: unexpected argument "now".', 'Usage: airlift sweep'],
    [['doctor', '-x'], 'airlift doctor: unknown option -x.', 'Usage: airlift doctor'],
    [['frobnicate'], 'Unknown command "frobnicate".', 'Usage: airlift <command> [options]'],
    [['help', 'frobnicate'], 'Unknown command "frobnicate".', 'Usage: airlift <command> [options]'],
    [[], 'airlift needs a command.', 'Usage: airlift <command> [options]'],
  ])('refuses %j in one line, then the usage, exit 2', async (args, error, usage) => {
    const { code, stdout, stderr } = await inProcess(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [first, blank, second] = stderr.split('\n');
    expect(first).toBe(error);
    expect(blank).toBe('');
    expect(second).toContain(usage);
    expect(stderr).not.toMatch(/ERR_PARSE_ARGS|TypeError/);
  });
});
