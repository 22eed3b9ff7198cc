/**
 * The transport for Node (and any fetch-only runtime): fetch cannot report upload progress,
 * so progress comes once per part, when the store has taken it whole.
 */
import { NetworkError } from './errors.ts';
import { parseRetryAfter } from './retry.ts';
import { parseStoreError, reachByFetch, sendableHeaders, type Transport } from './transport.ts';

export function fetchTransport(fetchImpl: typeof fetch = fetch): Transport {
  return {
    async put(url, headers, body, onProgress, signal) {
      try {
        const response = await fetchImpl(url, { method: 'PUT', headers: sendableHeaders(headers), body, signal });
        // Read the body whole so the connection can be reused, and to quote a refusal.
        const text = await response.text();
        if (response.ok) onProgress(body.size);
        return {
          status: response.status,
          etag: response.headers.get('ETag'),
          retryAfterMs: parseRetryAfter(response.headers.get('Retry-After'), Date.now()),
          error: response.ok ? undefined : parseStoreError(text),
        };
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new NetworkError('The connection to the storage failed.', { cause: error });
      }
    },
    reach: (url, signal) => reachByFetch(url, signal, fetchImpl),
  };
}
