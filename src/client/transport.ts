/**
 * How bytes reach the store: one PUT of a Blob to a presigned URL. The engine depends only on
 * this interface; `xhr-transport.ts` serves browsers (upload progress events) and
 * `fetch-transport.ts` serves Node.
 */
import { childController } from './abort.ts';
import { RequestTimeout } from './errors.ts';
import type { PutResult, StoreErrorBody } from './put-result.ts';

export type { PutResult, StoreErrorBody } from './put-result.ts';

export interface Transport {
  /**
   * PUTs `body` to `url` with `headers`, calling `onProgress` with the bytes sent so far.
   * Resolves with whatever status the store answered; rejects with a `NetworkError` when no
   * answer came, and with `signal.reason` when aborted.
   */
  put(url: string, headers: Record<string, string>, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<PutResult>;
  /**
   * Resolves once the store at `url`'s origin answers anything (any status: only the link is
   * in question), rejects when no answer comes. A lone part waiting out its backoff after a
   * cut asks this every second, so it goes again as soon as the link is back. Without it, the
   * backoff runs its course.
   */
  reach?(url: string, signal: AbortSignal): Promise<void>;
}

/**
 * `reach` by fetch: a GET of the store's origin, credentials left out and `no-cors`, so it
 * needs neither a signature nor CORS rules (its answer is opaque, and is not read). Not a
 * HEAD: Ceph's gateway answers `HEAD /` with a chunked body's last chunk, and when those
 * bytes come late, the next PUT on that connection reads them as its answer and fails after
 * the store took the part (which then goes again whole).
 */
export async function reachByFetch(url: string, signal: AbortSignal, fetchImpl: typeof fetch = fetch): Promise<void> {
  const response = await fetchImpl(new URL(url).origin + '/', { method: 'GET', mode: 'no-cors', credentials: 'omit', cache: 'no-store', signal });
  await response.body?.cancel();
}

/** Headers the HTTP client computes itself (browsers refuse to set them); the signature covers them all the same. */
const CLIENT_COMPUTED = new Set(['content-length', 'host']);

/** The signed headers a client may set on the request. */
export function sendableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CLIENT_COMPUTED.has(name.toLowerCase())));
}

/**
 * Reads a store's error body: S3/R2 XML (`<Code>`, `<Message>`) or Airlift's JSON
 * (`{error: {code, message}}`); undefined when it is neither.
 */
export function parseStoreError(body: string): StoreErrorBody | undefined {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const { error } = JSON.parse(text) as { error?: Partial<StoreErrorBody> };
      if (typeof error?.message === 'string') return { code: String(error.code ?? ''), message: error.message };
    } catch {
      return undefined;
    }
    return undefined;
  }
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]?.trim();
  const code = tag('Code');
  const message = tag('Message');
  return code || message ? { code: code ?? '', message: message || code! } : undefined;
}

/**
 * Wraps a transport so a PUT that reports no progress for `stallMs` is aborted with a
 * `RequestTimeout` (a stalled connection otherwise hangs until the OS gives up, minutes later).
 */
export function withStallTimeout(transport: Transport, stallMs: number): Transport {
  const reach = transport.reach?.bind(transport);
  return {
    ...(reach && { reach }),
    async put(url, headers, body, onProgress, signal) {
      const { controller, dispose } = childController(signal);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new RequestTimeout(`The upload made no progress for ${Math.round(stallMs / 1000)} s.`)), stallMs);
      };
      arm();
      try {
        return await transport.put(url, headers, body, (loaded) => {
          arm();
          onProgress(loaded);
        }, controller.signal);
      } finally {
        clearTimeout(timer);
        dispose();
      }
    },
  };
}
