import { createHmac, timingSafeEqual } from 'node:crypto';
import { StorageError } from '../driver.ts';

/**
 * The local store's signed URLs: `<baseUrl>/store/<key>?<grant fields>&signature=<HMAC>`. Pure
 * functions of a signing key and a clock, so a URL signed by one instance verifies on another
 * with the same secret. The canonical form below is the format: changing it voids every URL
 * already handed out.
 */

/** What a signed URL allows; every field is covered by the signature. */
export interface Grant {
  method: 'PUT' | 'GET';
  key: string;
  /** Unix seconds. */
  expires: number;
  contentType?: string;
  length?: number;
  maxLength?: number;
  uploadId?: string;
  partNumber?: number;
  contentMd5?: string;
  filename?: string;
  /** 1: the PUT may only create the object (refused when one is stored under the key). */
  createOnly?: number;
}

export type UrlCheck =
  | { ok: true; grant: Grant }
  | { ok: false; reason: 'malformed' | 'mismatch' }
  | { ok: false; reason: 'expired'; expiredAt: Date };

type GrantField = Exclude<keyof Grant, 'method' | 'key'>;

/** The longest a URL may live, as on S3 and R2: 7 days. */
export const MAX_EXPIRES = 7 * 24 * 3600;

const SIGNATURE_VERSION = 'airlift-local-store-v1';

/** Query parameter of each grant field, in signing order. */
const PARAMS: [GrantField, string, 'number' | 'string'][] = [
  ['expires', 'expires', 'number'],
  ['contentType', 'type', 'string'],
  ['length', 'length', 'number'],
  ['maxLength', 'max', 'number'],
  ['uploadId', 'upload', 'string'],
  ['partNumber', 'part', 'number'],
  ['contentMd5', 'md5', 'string'],
  ['filename', 'filename', 'string'],
];

/**
 * Fields added since the first format: signed only when present, named, after the others,
 * so every URL handed out before they existed still verifies.
 */
const LATER_PARAMS: [GrantField, string, 'number' | 'string'][] = [['createOnly', 'create', 'number']];
const ALL_PARAMS = [...PARAMS, ...LATER_PARAMS];

/** The store's signing key: one of its own, so a local-store signature can never double as a session or CSRF token. */
export const signingKeyFor = (secret: string): Buffer => createHmac('sha256', secret).update(SIGNATURE_VERSION).digest();

/** A grant of `method` on `key` for `expiresIn` seconds from `nowMs`, with the given fields (undefined ones left out). */
export function newGrant(method: Grant['method'], key: string, expiresIn: number, fields: Partial<Grant>, nowMs: number): Grant {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES) {
    throw new StorageError('store_error', `expiresIn must be a whole number of seconds from 1 to ${MAX_EXPIRES}, got ${expiresIn}.`);
  }
  const grant: Grant = { method, key, expires: Math.floor(nowMs / 1000) + expiresIn };
  for (const [field] of ALL_PARAMS) {
    const value = fields[field];
    if (value !== undefined) (grant as unknown as Record<string, unknown>)[field] = value;
  }
  return grant;
}

function sign(signingKey: Buffer, grant: Grant): string {
  const later = LATER_PARAMS.filter(([field]) => grant[field] !== undefined).map(([field, param]) => [param, grant[field]]);
  const canonical = JSON.stringify([SIGNATURE_VERSION, grant.method, grant.key, ...PARAMS.map(([field]) => grant[field] ?? null), ...later]);
  return createHmac('sha256', signingKey).update(canonical).digest('base64url');
}

/** The signed URL of `grant` under `baseUrl` (no trailing slash). */
export function signedUrl(signingKey: Buffer, baseUrl: string, grant: Grant): string {
  const query = new URLSearchParams();
  for (const [field, param] of ALL_PARAMS) {
    const value = grant[field];
    if (value !== undefined) query.set(param, String(value));
  }
  query.set('signature', sign(signingKey, grant));
  return `${baseUrl}/store/${grant.key.split('/').map(encodeURIComponent).join('/')}?${query}`;
}

/** Checks a request's URL against its signature, at `nowMs`. HEAD requests use GET URLs. */
export function verifyUrl(signingKey: Buffer, nowMs: number, method: Grant['method'], key: string, query: URLSearchParams): UrlCheck {
  const grant: Grant = { method, key, expires: 0 };
  for (const [field, param, type] of ALL_PARAMS) {
    const raw = query.get(param);
    if (raw === null) continue;
    if (type === 'number') {
      if (!/^\d{1,16}$/.test(raw)) return { ok: false, reason: 'malformed' };
      (grant as unknown as Record<string, number>)[field] = Number(raw);
    } else {
      (grant as unknown as Record<string, string>)[field] = raw;
    }
  }
  const given = query.get('signature');
  if (!given || !query.has('expires')) return { ok: false, reason: 'malformed' };
  // Compare the encoded strings: base64url has spare bits, so distinct strings can decode alike.
  const expected = Buffer.from(sign(signingKey, grant));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'mismatch' };
  if (nowMs > grant.expires * 1000) return { ok: false, reason: 'expired', expiredAt: new Date(grant.expires * 1000) };
  return { ok: true, grant };
}

/** Whole seconds from `nowMs` until a grant expires (for Cache-Control). */
export const secondsLeft = (grant: Grant, nowMs: number): number => Math.max(0, grant.expires - Math.floor(nowMs / 1000));
