import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook secrets must be readable to sign, so they cannot be hashed like API tokens; they are
 * kept sealed instead (AES-256-GCM under a key derived from SECRET_KEY), so a copy of the
 * database alone does not let anyone forge the site's webhooks.
 */
const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const keyFrom = (secretKey: string) => Buffer.from(hkdfSync('sha256', secretKey, '', 'airlift webhook secret v1', 32));

export function sealSecret(secretKey: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secretKey), iv);
  const sealed = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return PREFIX + sealed.toString('base64url');
}

/** The secret a sealed value holds; throws when it was sealed under another SECRET_KEY (or changed). */
export function openSecret(secretKey: string, stored: string): string {
  if (!stored.startsWith(PREFIX)) throw new Error('The webhook secret is not sealed the way this version seals it.');
  const sealed = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', keyFrom(secretKey), sealed.subarray(0, IV_BYTES));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('The webhook secret was sealed under another SECRET_KEY: give the server the key it had when the webhook was added, or add the webhook again.');
  }
}
