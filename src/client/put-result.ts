/**
 * What the store answered to a PUT, as the transports report it (`transport.ts`) and
 * `StoreRefused` carries it (`errors.ts`): plain data, so both can depend on it.
 */

export interface PutResult {
  status: number;
  /** The ETag response header, or null when absent or hidden (the bucket's CORS rules must expose it). */
  etag: string | null;
  /** The Retry-After header in milliseconds, when the store sent one. */
  retryAfterMs?: number;
  /** The store's own code and message when it refused the request. */
  error?: StoreErrorBody;
}

export interface StoreErrorBody {
  code: string;
  message: string;
}
