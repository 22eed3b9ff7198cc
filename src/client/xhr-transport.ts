/**
 * The browser transport: XMLHttpRequest, because fetch still reports no upload progress.
 * The file slice goes as the body untouched, so the browser streams it from disk.
 */
import { NetworkError } from './errors.ts';
import { parseRetryAfter } from './retry.ts';
import { parseStoreError, reachByFetch, sendableHeaders, type Transport } from './transport.ts';

export const xhrTransport: Transport = {
  put(url, headers, body, onProgress, signal) {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const xhr = new XMLHttpRequest();
      const onAbort = () => xhr.abort();
      const settle = (outcome: () => void) => () => {
        signal.removeEventListener('abort', onAbort);
        xhr.upload.onprogress = xhr.onload = xhr.onerror = xhr.onabort = null;
        outcome();
      };
      xhr.open('PUT', url);
      for (const [name, value] of Object.entries(sendableHeaders(headers))) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = settle(() => {
        const ok = xhr.status >= 200 && xhr.status < 300;
        resolve({
          status: xhr.status,
          etag: xhr.getResponseHeader('ETag'),
          retryAfterMs: parseRetryAfter(xhr.getResponseHeader('Retry-After'), Date.now()),
          error: ok ? undefined : parseStoreError(xhr.responseText),
        });
      });
      xhr.onerror = settle(() => reject(new NetworkError('The connection to the storage failed.')));
      xhr.onabort = settle(() => reject(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      xhr.send(body);
    });
  },
  reach: (url, signal) => reachByFetch(url, signal),
};
