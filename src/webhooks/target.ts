import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError, badRequest } from '../errors.ts';

/**
 * Where a webhook may be sent (server-side request forgery): only to public unicast addresses,
 * unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set. A name is resolved and every address it gives is
 * checked, and the connection then goes to an address so checked (`guardedLookup`), so a name
 * that resolves elsewhere between the check and the request (DNS rebinding) gains nothing.
 */

/** Why `address` is not a public unicast address, or null when it is (an IPv4-mapped IPv6 address counts as its IPv4). */
export function addressProblem(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return null;
  return `${address} is ${RANGE_NAMES[range] ?? `a ${range} address`}`;
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  unspecified: 'the unspecified address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

/** The URL as a webhook target: http(s), no more than 2,000 characters; 400 otherwise. */
export function parseTargetUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest(`The webhook URL is not a URL: "${raw.slice(0, 100)}".`, 'invalid_webhook_url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest('The webhook URL must start with https:// (or http://).', 'invalid_webhook_url');
  if (url.href.length > 2000) throw badRequest('The webhook URL is longer than 2000 characters.', 'invalid_webhook_url');
  return url;
}

/** The host of a URL as an address or a name to resolve (`[::1]` → `::1`). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Refuses (400 `webhook_target_refused`) a URL whose host is, or resolves to, any address that
 * is not public, saying which; a name that does not resolve is refused too.
 */
export async function checkTarget(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await resolveAll(host).catch(() => {
    throw new AppError(400, 'webhook_target_refused', `The webhook host ${host} does not resolve to any address.`, { params: { host: url.hostname, reason: 'unresolved' } });
  });
  const bad = addresses.find((address) => addressProblem(address) !== null);
  if (bad === undefined) return;
  const problem = isIP(host) ? addressProblem(bad)! : `${host} resolves to ${addressProblem(bad)!.replace(' is ', ', ')}`;
  throw new AppError(400, 'webhook_target_refused', `The webhook URL is refused: ${problem}, which a webhook may not reach (set WEBHOOK_ALLOW_PRIVATE_TARGETS=true on a closed network).`, {
    params: { host: url.hostname, reason: 'private' },
  });
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found.map((a) => a.address)))));
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that resolves the host and fails the connection unless every
 * address is public: the socket connects only to what was checked.
 */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (error, found) => {
    if (error) return callback(error, '');
    const problem = found.map((a) => addressProblem(a.address)).find((p) => p !== null);
    if (problem) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${problem}`), { code: 'ETARGETREFUSED' }), '');
    if (options.all) return callback(null, found);
    return callback(null, found[0]!.address, found[0]!.family);
  });
}

/** Refuses an IP-literal host at send time too (http.request calls no lookup for those). */
export function literalProblem(url: URL): string | null {
  const host = hostOf(url);
  return isIP(host) ? addressProblem(host) : null;
}
