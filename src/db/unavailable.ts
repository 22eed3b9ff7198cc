/**
 * Whether an error says the database could not be reached or did not answer in time — the
 * server is down, restarting, refusing connections or silent — rather than that it refused
 * a query. Such a request gets a 503 `database_unavailable` (http-errors.ts), and the next
 * one tries again: the pool opens fresh connections by itself once the server is back.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || UNAVAILABLE_STATES.has(e.code) || e.code.startsWith('08'))) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(e.message as string))) return true;
  return [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])].some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * PostgreSQL's SQLSTATEs for a server that cannot serve now (class 08, connection exceptions,
 * is matched by prefix): shutting down, starting up, out of connections, the query cancelled
 * for running past `statement_timeout`.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/** node-postgres and pg-pool say these in words only; PGlite says it is closed while the process shuts down. */
const UNAVAILABLE_MESSAGES = [
  /^timeout exceeded when trying to connect/i,
  /^Connection terminated/i,
  /^Query read timeout/i,
  /is not queryable/i,
  /^PGlite is closed/i,
];
