import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { DataDirLockedError } from '../db/lock.ts';
import { StorageError, type StorageDriver } from '../storage/driver.ts';
import { createLocalStore } from '../storage/local/index.ts';
import { checkCors, createS3Store, type S3Store } from '../storage/s3.ts';
import { siteOrigin } from './cors.ts';
import { openSecret } from '../webhooks/sealed-secret.ts';

/**
 * `airlift doctor`: checks, in the order an upload needs them, that this configuration can take
 * uploads, and prints one verdict a line. Read-only but for one small test object, always
 * deleted. Prints no secret and no signed URL.
 */

export interface Verdict {
  /** `skip`: not checked because an earlier check failed (that failure already counts). */
  status: 'pass' | 'fail' | 'skip';
  check: string;
  message: string;
}

const SYMBOL = { pass: '✓', fail: '✗', skip: '–' } as const;

export const formatVerdict = (v: Verdict) => `${SYMBOL[v.status]} ${v.check}: ${v.message}`;

const pass = (check: string, message: string): Verdict => ({ status: 'pass', check, message });
const fail = (check: string, message: string): Verdict => ({ status: 'fail', check, message });
const skip = (check: string, message: string): Verdict => ({ status: 'skip', check, message });

const HTTP_TIMEOUT_MS = 15_000;
const DATABASE_TIMEOUT_MS = 10_000;
/** Beyond this a clock is wrong enough to matter (URLs expire early or late); S3 and R2 refuse signatures past 15 min. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export async function doctor(config: Config, out: (line: string) => void): Promise<number> {
  const verdicts = await runChecks(config, (verdict) => out(formatVerdict(verdict)));
  const failed = verdicts.filter((v) => v.status === 'fail').length;
  out(failed ? `\n${failed} check(s) failed.` : '\nAll checks passed.');
  return failed ? 1 : 0;
}

/** Every check in order, each verdict told to `onVerdict` as it comes (the CLI prints it; the status page collects them). */
export async function runChecks(config: Config, onVerdict: (verdict: Verdict) => void = () => {}): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  const report = (verdict: Verdict) => {
    verdicts.push(verdict);
    onVerdict(verdict);
  };
  const origin = siteOrigin(config);

  report(configuration(config));
  for (const verdict of await database(config)) report(verdict);

  let store: StorageDriver | null = null;
  try {
    const opened = await openStore(config);
    report(opened.verdict);
    store = opened.store;
    const usable = opened.verdict.status === 'pass' ? store : null;
    const why = `not checked, since the ${opened.verdict.check.toLowerCase()} check failed.`;
    if (!config.r2) report(pass('CORS', `not needed: browsers upload to the app itself, at its own origin (${origin}).`));
    else report(usable ? await cors(usable as S3Store, origin) : skip('CORS', why));
    report(usable ? await roundTrip(usable, config, origin) : skip('Upload round trip', why));
    report(await clock(config, opened.reachable));
  } finally {
    await store?.close();
  }
  return verdicts;
}

// --- configuration and database ---

/** A database URL without its credentials. */
function databaseName(url: string): string {
  const u = new URL(url);
  return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
}

function configuration(config: Config): Verdict {
  const storage = config.r2
    ? `R2/S3 bucket "${config.r2.bucket}" at ${config.r2.endpoint} (region ${config.r2.region})`
    : `the local store in ${path.join(config.dataDir, 'objects')}`;
  const db = config.databaseUrl ? databaseName(config.databaseUrl) : `the embedded database (PGlite) in ${path.join(config.dataDir, 'db')}`;
  return pass('Configuration', `${storage}; ${db}; site ${config.publicBaseUrl}.`);
}

async function database(config: Config): Promise<Verdict[]> {
  const check = 'Database';
  const name = config.databaseUrl ? databaseName(config.databaseUrl) : 'the embedded database';
  // Opening a new PGlite directory creates a cluster: that is the server's job, not a check's.
  if (!config.databaseUrl && !existsSync(path.join(config.dataDir, 'db'))) {
    return [pass(check, `${name} does not exist yet; the server creates it in ${config.dataDir} on first start.`)];
  }
  let opened: Database | undefined;
  try {
    opened = await withTimeout(openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'airlift doctor' }), DATABASE_TIMEOUT_MS);
    const db = opened.db;
    await withTimeout(sql`select 1`.execute(db), DATABASE_TIMEOUT_MS);
    const users = await db
      .selectFrom('users')
      .select('id')
      .limit(1)
      .execute()
      .then((rows) => rows.length, () => null); // no table: not migrated yet
    const state =
      users === null
        ? 'answers, not migrated yet (the server migrates on start, or run npx airlift migrate)'
        : users === 0
          ? 'answers; no user yet (start the server for a setup link, or run npx airlift user create)'
          : 'answers';
    return [pass(check, `${name} ${state}.`), ...(users === null ? [] : [await webhookSecrets(db, config)])];
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      // Expected while the server runs: PGlite belongs to one process, and doctor must not wait for it or take it.
      const holder = /in use by (".*?" \(process \d+[^)]*\))/.exec(error.message)?.[1] ?? 'another process';
      return [pass(check, `${name} is in use by ${holder}, as expected while the server runs; doctor leaves it alone.`)];
    }
    const reason = errorText(error);
    const fix = config.databaseUrl ? 'check DATABASE_URL and that the server is running and reachable' : `check that ${config.dataDir} is readable and writable`;
    return [fail(check, `cannot use ${name}: ${reason}. ${capitalise(fix)}.`)];
  } finally {
    // A database that stopped answering must not keep doctor waiting on the way out either.
    if (opened) await withTimeout(opened.close(), 2_000).catch(() => {});
  }
}

/** Webhook secrets are sealed under SECRET_KEY: a server given another key could not sign them. */
async function webhookSecrets(db: Database['db'], config: Config): Promise<Verdict> {
  const check = 'Webhooks';
  const rows = await withTimeout(db.selectFrom('webhook_endpoints').select(['id', 'url', 'secret']).execute(), DATABASE_TIMEOUT_MS);
  const unopened = rows.filter((row) => {
    try {
      openSecret(config.secretKey, row.secret);
      return false;
    } catch {
      return true;
    }
  });
  if (rows.length === 0) return pass(check, 'none added.');
  if (unopened.length === 0) return pass(check, `${rows.length} endpoint(s); every secret opens with this SECRET_KEY.`);
  return fail(
    check,
    `${unopened.length} of ${rows.length} endpoint(s) (${unopened.map((r) => r.id).join(', ')}) were added under another SECRET_KEY, so their events cannot be signed: give the server the key it had then, or remove and add them again.`,
  );
}

// --- storage ---

async function openStore(config: Config): Promise<{ store: StorageDriver | null; verdict: Verdict; reachable: boolean }> {
  if (!config.r2) {
    const root = path.join(config.dataDir, 'objects');
    try {
      const store = await createLocalStore({ root, baseUrl: config.publicBaseUrl, secret: config.secretKey });
      return { store, verdict: pass('Storage', `the local store in ${root} is ready.`), reachable: true };
    } catch (error) {
      return { store: null, verdict: fail('Storage', `cannot prepare the local store in ${root}: ${errorText(error)}. Check that DATA_DIR is writable.`), reachable: true };
    }
  }
  const store = await createS3Store(config.r2);
  try {
    await store.checkBucket();
    return { store, verdict: pass('Credentials and bucket', `R2_ACCESS_KEY_ID and its secret are accepted, and bucket "${store.bucket}" can be listed.`), reachable: true };
  } catch (error) {
    const unreachable = error instanceof StorageError && error.code === 'unavailable';
    return { store, verdict: fail('Credentials and bucket', errorText(error)), reachable: !unreachable };
  }
}

/** The bucket's rules against the site's origin, then a browser's preflight, which shows what the store really applies. */
async function cors(store: S3Store, origin: string): Promise<Verdict> {
  const check = 'CORS';
  try {
    const problems = checkCors(await store.getBucketCors(), origin);
    if (problems.length > 0) return fail(check, problems.join(' '));
    const probe = new URL(await store.presignGet('airlift-doctor/preflight.txt', { expiresIn: 60 }));
    probe.search = '';
    const answer = await http(probe.href, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, if-none-match' },
    });
    await answer.arrayBuffer();
    const allowed = answer.headers.get('access-control-allow-origin');
    if (!answer.ok || (allowed !== origin && allowed !== '*')) {
      return fail(
        check,
        `the rules allow ${origin}, but the store refused a browser's preflight from it (HTTP ${answer.status}). R2 takes about 30 seconds to apply new rules: wait, then run doctor again.`,
      );
    }
    return pass(check, `browsers on ${origin} may PUT, GET and HEAD (with the If-None-Match a whole-file upload carries) and read the ETag header; the store allowed a preflight from it.`);
  } catch (error) {
    return fail(check, errorText(error));
  }
}

/**
 * PUT a small object through a presigned URL and GET it back, as a browser does (same headers,
 * an Origin), with HEAD and DELETE through the driver. On the local store the URLs point at the
 * running app, so this is also the check that the app answers at PUBLIC_BASE_URL.
 */
async function roundTrip(store: StorageDriver, config: Config, origin: string): Promise<Verdict> {
  const local = store.kind === 'local';
  const check = local ? 'Upload round trip through the running app' : 'Upload round trip';
  const key = `airlift-doctor/${randomUUID()}.txt`;
  const body = new TextEncoder().encode(`Airlift doctor test object, ${new Date().toISOString()}\n`);
  let step = 'signing the PUT';
  let deleted = false;
  const run = async (): Promise<Verdict> => {
    const put = await store.presignPut(key, { contentType: 'text/plain', contentLength: body.length, expiresIn: 300 });
    step = 'the presigned PUT';
    const stored = await http(put.url, { method: 'PUT', headers: { ...put.headers, Origin: origin }, body });
    if (!stored.ok) return fail(check, `${step} was refused: ${await refusal(stored, config)}`);
    step = 'HEAD';
    const info = await store.head(key);
    if (!info) {
      if (!local) return fail(check, 'the PUT was accepted, but HEAD finds no object.');
      deleted = true; // out of reach: it is in the other DATA_DIR
      return fail(
        check,
        `the app at ${config.publicBaseUrl} accepted the PUT but keeps its objects in another DATA_DIR than ${config.dataDir}: run doctor with the server's DATA_DIR. The test object ${key} stays in the app's store; delete it there.`,
      );
    }
    if (info.size !== body.length) return fail(check, `HEAD reports ${info.size} bytes; ${body.length} were sent.`);
    step = 'the presigned GET';
    const read = await http(await store.presignGet(key, { expiresIn: 300 }), { headers: { Origin: origin } });
    if (!read.ok) return fail(check, `${step} was refused: ${await refusal(read, config)}`);
    const back = new Uint8Array(await read.arrayBuffer());
    if (Buffer.compare(back, body) !== 0) return fail(check, `the GET returned ${back.length} bytes that differ from the ${body.length} sent.`);
    step = 'DELETE';
    await store.delete(key);
    deleted = true;
    if (await store.head(key)) return fail(check, 'DELETE answered, but the object is still there.');
    const via = local ? ` at ${config.publicBaseUrl}` : '';
    return pass(check, `presigned PUT${via}, HEAD, presigned GET (the same ${body.length} bytes back) and DELETE of a test object all worked.`);
  };
  let verdict: Verdict;
  try {
    verdict = await run();
  } catch (error) {
    const down = networkCode(error);
    if (local && down && step === 'the presigned PUT') {
      verdict = fail(
        check,
        `nothing answers at ${config.publicBaseUrl} (${down}). This check goes through the running app's signed URLs: start it (npm start) and run doctor again; check PUBLIC_BASE_URL if it runs.`,
      );
    } else verdict = fail(check, `${step} failed: ${errorText(error)}`);
  }
  if (!deleted) {
    try {
      await store.delete(key);
    } catch {
      verdict = { ...verdict, message: `${verdict.message} The test object ${key} could not be deleted: delete it by hand.` };
    }
  }
  return verdict;
}

/** What a refused request's body says: S3's XML `<Code>`/`<Message>`, or the local store's JSON error, plus what to check. */
async function refusal(response: Response, config: Config): Promise<string> {
  const text = (await response.text()).slice(0, 4000);
  let code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  let message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (!code) {
    try {
      ({ code, message } = (JSON.parse(text) as { error: { code?: string; message?: string } }).error);
    } catch {
      // neither: the status says it all
    }
  }
  const hint: Record<string, string> = {
    SignatureDoesNotMatch: 'check R2_SECRET_ACCESS_KEY.',
    AccessDenied: `the API token of R2_ACCESS_KEY_ID needs Object Read & Write on bucket "${config.r2?.bucket}" (a clock far off also answers this).`,
    RequestTimeTooSkewed: "this machine's clock is wrong: sync it with NTP.",
    signature_mismatch: `the app at ${config.publicBaseUrl} signs with another secret: run doctor with the server's SECRET_KEY and DATA_DIR.`,
    not_found: `the app at ${config.publicBaseUrl} does not serve the local store: is it Airlift with this configuration?`,
  };
  const said = [code, message?.replace(/\.$/, '')].filter(Boolean).join(': ');
  return `HTTP ${response.status}${said ? ` ${said}` : ''}${code && hint[code] ? `; ${hint[code]}` : '.'}`;
}

// --- clock ---

/**
 * This machine's clock against the store's (its `Date` header; the app's for the local
 * store). `offsetMs` > 0: this machine is ahead.
 */
export function clockVerdict(offsetMs: number, against: string): Verdict {
  const seconds = Math.round(Math.abs(offsetMs) / 1000);
  if (Math.abs(offsetMs) <= MAX_CLOCK_SKEW_MS) return pass('Clock', `within ${Math.max(seconds, 1)} s of ${against}.`);
  const minutes = Math.round(seconds / 60);
  return fail(
    'Clock',
    `this machine's clock is ${minutes} min ${offsetMs > 0 ? 'ahead of' : 'behind'} ${against}: signed URLs expire early or late, and past 15 min the store refuses every signature. Sync the clock with NTP (e.g. timedatectl set-ntp true).`,
  );
}

async function clock(config: Config, reachable: boolean): Promise<Verdict> {
  const against = config.r2 ? "the store's" : "the app's";
  const target = config.r2 ? config.r2.endpoint : config.publicBaseUrl;
  if (!reachable) return skip('Clock', `not compared: ${target} does not answer.`);
  try {
    const sent = Date.now();
    // Any answer carries a Date header, even a refusal: no signature needed.
    const answer = await http(target, { method: 'HEAD', redirect: 'manual' });
    const received = Date.now();
    const date = Date.parse(answer.headers.get('date') ?? '');
    if (Number.isNaN(date)) return skip('Clock', `not compared: ${target} sent no Date header.`);
    // The Date header has whole seconds: compare with the middle of the exchange, rounded the same way.
    return clockVerdict(Math.floor((sent + received) / 2 / 1000) * 1000 - date, `${against} (${target})`);
  } catch (error) {
    return skip('Clock', `not compared: ${target} does not answer (${networkCode(error) ?? errorText(error)}).`);
  }
}

// --- helpers ---

function http(url: string, init: RequestInit): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A network failure's code (ECONNREFUSED…) from fetch's error or what it wraps, or undefined. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (e.name === 'TimeoutError') return `no answer in ${HTTP_TIMEOUT_MS / 1000} s`;
  if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(e.code)) return e.code;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const code = networkCode(inner, depth + 1);
    if (code) return code;
  }
  return undefined;
}

function errorText(error: unknown): string {
  if (error instanceof StorageError) return error.message;
  const code = networkCode(error);
  if (code) return `no connection (${code})`;
  return error instanceof Error ? error.message : String(error);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
