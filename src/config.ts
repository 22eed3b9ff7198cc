import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MediaKind } from './shared/media-kind.ts';
import { MAX_THUMBNAIL_BYTES } from './shared/media-limits.ts';

/** Everything Airlift reads from its environment, validated once at start-up. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** A postgres:// URL selects PostgreSQL; otherwise PGlite in `dataDir`. */
  databaseUrl: string | null;
  secretKey: string;
  /** The origin users reach the app at, without a trailing slash. */
  publicBaseUrl: string;
  uploadUrlExpires: number;
  /** Seconds an unfinished upload lives (and a completed one waits to be saved) before the sweeper removes it. */
  uploadTtl: number;
  /** Seconds between periodic sweeps; 0: none (run `airlift sweep` instead). */
  sweepInterval: number;
  maxSize: Record<MediaKind, number>;
  allowedTypes: Record<MediaKind, string[]>;
  logLevel: string;
  r2: R2Config | null;
  /** Which proxies' X-Forwarded-* headers to believe (TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** With it, `/metrics` also answers callers beyond loopback that send it as a Bearer token (METRICS_TOKEN). */
  metricsToken: string | null;
  /** Webhook targets on loopback, private and link-local addresses allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS=true): tests, closed networks. */
  webhookAllowPrivateTargets: boolean;
}

/**
 * false: none (X-Forwarded-* ignored); true: every hop; a number: that many hops nearest the
 * server; a list: the proxies at these addresses or ranges (CIDRs, or proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = boolean | number | string[];

export interface R2Config {
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  cdnDomain: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const DEFAULT_TYPES: Record<MediaKind, string[]> = {
  video: ['video/mp4', 'video/webm', 'video/quicktime', 'video/x-matroska', 'video/ogg', 'video/mpeg'],
  photo: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/heic'],
  cover: ['image/jpeg', 'image/png', 'image/webp', 'image/avif'],
  // What browsers' canvases encode: the thumbnail is made in the browser.
  thumbnail: ['image/jpeg', 'image/png', 'image/webp'],
};

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be at least ${min}, got ${raw}.`);
  return value;
}

/** A number of seconds within [min, max]; `range` says the bounds in words for the error. */
function seconds(env: Env, name: string, fallback: number, min: number, max: number, range: string): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new ConfigError(`${name} must be a whole number of seconds, ${range}; got "${raw}".`);
  return value;
}

/** The longest timer Node keeps (2^31 - 1 ms, about 24.8 days), in whole days. */
const MAX_SWEEP_INTERVAL_S = 24 * 24 * 3600;

function typeList(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const types = raw.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const bad = types.find((t) => !/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t));
  if (bad) throw new ConfigError(`${name} holds "${bad}", which is not a MIME type such as video/mp4.`);
  return types;
}

function r2Config(env: Env): R2Config | null {
  const required = ['R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET_NAME', 'R2_ENDPOINT_URL'] as const;
  const set = required.filter((name) => env[name]?.trim());
  if (set.length === 0) return null;
  const missing = required.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new ConfigError(
      `R2 storage is half configured: ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. Set all four, or none to use the local store.`,
    );
  }
  const endpoint = env.R2_ENDPOINT_URL!.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new ConfigError(`R2_ENDPOINT_URL must be a URL such as https://<account>.r2.cloudflarestorage.com, got "${endpoint}".`);
  }
  const cdn = env.R2_CDN_DOMAIN?.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '') || null;
  return {
    accessKeyId: env.R2_ACCESS_KEY_ID!.trim(),
    secretAccessKey: env.R2_SECRET_ACCESS_KEY!.trim(),
    bucket: env.R2_BUCKET_NAME!.trim(),
    endpoint,
    region: env.R2_REGION?.trim() || 'auto',
    forcePathStyle: /^(1|true|yes)$/i.test(env.R2_FORCE_PATH_STYLE?.trim() ?? ''),
    cdnDomain: cdn,
  };
}

/** The secret signing sessions, CSRF tokens and local-store URLs; generated once and kept in DATA_DIR. */
function secretKey(env: Env, dataDir: string): string {
  const given = env.SECRET_KEY?.trim();
  if (given) {
    if (given.length < 32) throw new ConfigError('SECRET_KEY must be at least 32 characters long.');
    return given;
  }
  const file = path.join(dataDir, 'secret.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = randomBytes(32).toString('base64url');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  }
}

const TRUST_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(env: Env): TrustProxy {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  if (raw === '' || /^(false|0)$/i.test(raw)) return false;
  if (/^true$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 32) throw new ConfigError(`TRUST_PROXY as a hop count must be 1 to 32, got ${raw}.`);
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !TRUST_NAMES.has(entry.toLowerCase()) && !isAddressOrRange(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      `TRUST_PROXY holds "${bad}", which is not an IP address or range. Give true, false, a hop count (1 to 32) or a comma-separated list such as 10.0.0.1, 192.168.0.0/16, loopback.`,
    );
  }
  return entries.map((entry) => (TRUST_NAMES.has(entry.toLowerCase()) ? entry.toLowerCase() : entry));
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  // A prefix length, or (IPv4) a netmask such as 255.255.0.0, as proxy-addr takes them.
  if (/^\d{1,3}$/.test(prefix)) return Number(prefix) <= (version === 4 ? 32 : 128);
  return version === 4 && isIP(prefix) === 4;
}

function metricsToken(env: Env): string | null {
  const token = env.METRICS_TOKEN?.trim();
  if (!token) return null;
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) throw new ConfigError('METRICS_TOKEN must be at least 16 printable characters without spaces.');
  return token;
}

/** A yes/no setting: true or false (also 1/0, yes/no); unset is false. */
function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new ConfigError(`${name} must be true or false, got "${env[name]!.trim()}".`);
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0);
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}.`);
  const host = env.HOST?.trim() || 'localhost';
  const dataDir = path.resolve(env.DATA_DIR?.trim() || './data');
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL; leave it unset to use the embedded database in DATA_DIR.');
  }
  let publicBaseUrl = env.PUBLIC_BASE_URL?.trim().replace(/\/+$/, '') || `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  try {
    const url = new URL(publicBaseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    publicBaseUrl = url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`PUBLIC_BASE_URL must be an http(s) URL such as https://media.example.com, got "${publicBaseUrl}".`);
  }
  const uploadUrlExpires = integer(env, 'UPLOAD_URL_EXPIRES', 3600);
  if (uploadUrlExpires > 7 * 24 * 3600) throw new ConfigError('UPLOAD_URL_EXPIRES must be at most 604800 seconds (7 days), the longest a presigned URL may live.');
  const uploadTtl = seconds(env, 'UPLOAD_TTL', 24 * 3600, 60, 7 * 24 * 3600, 'from 60 (a minute) to 604800 (7 days)');
  const sweepInterval = seconds(env, 'SWEEP_INTERVAL', 15 * 60, 0, MAX_SWEEP_INTERVAL_S, `from 0 (no periodic sweep) to ${MAX_SWEEP_INTERVAL_S} (24 days)`);
  const video = integer(env, 'MAX_VIDEO_SIZE', 50 * GiB);
  const photo = integer(env, 'MAX_PHOTO_SIZE', 50 * MiB);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    secretKey: secretKey(env, dataDir),
    publicBaseUrl,
    uploadUrlExpires,
    uploadTtl,
    sweepInterval,
    maxSize: { video, photo, cover: Math.min(photo, integer(env, 'MAX_COVER_SIZE', 20 * MiB)), thumbnail: MAX_THUMBNAIL_BYTES },
    allowedTypes: {
      video: typeList(env, 'ALLOWED_VIDEO_TYPES', DEFAULT_TYPES.video),
      photo: typeList(env, 'ALLOWED_PHOTO_TYPES', DEFAULT_TYPES.photo),
      cover: typeList(env, 'ALLOWED_COVER_TYPES', DEFAULT_TYPES.cover),
      thumbnail: DEFAULT_TYPES.thumbnail,
    },
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    r2: r2Config(env),
    trustProxy: trustProxy(env),
    metricsToken: metricsToken(env),
    webhookAllowPrivateTargets: flag(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS'),
  };
}
