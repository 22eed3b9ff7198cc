/**
 * A small typed client of Airlift's upload and media API. Types come from the shared schemas
 * (type-only imports: zod stays out of the browser bundle). Every failure is a typed error
 * the retry policy understands: `ApiError` (an answer with an error status), `NetworkError`,
 * `RequestTimeout`, or the caller's abort reason.
 */
import type {
  CompleteUploadBody,
  CreatePhotoBody,
  CreateUploadBody,
  CreateVideoBody,
  EditVideoBody,
  PhotoItem,
  SignedPart,
  SignPartsBody,
  UploadCompleted,
  UploadCreated,
  UploadState,
  VideoItem,
} from '../shared/api.ts';
import { childController } from './abort.ts';
import { ApiError, NetworkError, RequestTimeout } from './errors.ts';
import { parseRetryAfter } from './retry.ts';

export interface ApiClientOptions {
  /** Where the server is, e.g. `http://127.0.0.1:3000`; empty (the default) for same-origin calls from its pages. */
  baseUrl?: string;
  /** Headers for every call: the CSRF token, and outside browsers the session cookie. */
  headers?: () => Record<string, string>;
  /** How long a call may wait for its answer. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Assembling thousands of parts can take the store minutes: completion gets its own, longer, timeout. */
const COMPLETE_TIMEOUT_MS = 5 * 60_000;

export class ApiClient {
  readonly #baseUrl: string;
  readonly #headers: () => Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ApiClientOptions = {}) {
    this.#baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.#headers = options.headers ?? (() => ({}));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  createUpload(body: CreateUploadBody, options?: CallOptions): Promise<UploadCreated> {
    return this.#call('POST', '/api/v1/uploads', body, options);
  }

  async signParts(uploadId: string, body: SignPartsBody, options?: CallOptions): Promise<SignedPart[]> {
    const { parts } = await this.#call<{ parts: SignedPart[] }>('POST', `/api/v1/uploads/${encodeURIComponent(uploadId)}/parts`, body, options);
    return parts;
  }

  getUpload(uploadId: string, options?: CallOptions): Promise<UploadState> {
    return this.#call('GET', `/api/v1/uploads/${encodeURIComponent(uploadId)}`, undefined, options);
  }

  completeUpload(uploadId: string, body: CompleteUploadBody, options?: CallOptions): Promise<UploadCompleted> {
    return this.#call('POST', `/api/v1/uploads/${encodeURIComponent(uploadId)}/complete`, body, { timeoutMs: COMPLETE_TIMEOUT_MS, ...options });
  }

  async abortUpload(uploadId: string, options?: CallOptions): Promise<void> {
    await this.#call('DELETE', `/api/v1/uploads/${encodeURIComponent(uploadId)}`, undefined, options);
  }

  createVideo(body: CreateVideoBody, options?: CallOptions): Promise<VideoItem> {
    return this.#call('POST', '/api/v1/videos', body, options);
  }

  createPhoto(body: CreatePhotoBody, options?: CallOptions): Promise<PhotoItem> {
    return this.#call('POST', '/api/v1/photos', body, options);
  }

  editVideo(id: number, body: EditVideoBody, options?: CallOptions): Promise<VideoItem> {
    return this.#call('PATCH', `/api/v1/videos/${id}`, body, options);
  }

  async #call<T>(method: string, path: string, body: unknown, { signal, timeoutMs = this.#timeoutMs }: CallOptions = {}): Promise<T> {
    const { controller, dispose } = childController(signal);
    const timeout = new RequestTimeout(`The server did not answer within ${Math.round(timeoutMs / 1000)} s.`);
    const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
    const headers: Record<string, string> = { Accept: 'application/json', ...this.#headers() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(this.#baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw new NetworkError('Cannot reach the Airlift server.', { cause: error });
    } finally {
      clearTimeout(timer);
      dispose();
    }
    if (!response.ok) throw apiError(response, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function apiError(response: Response, text: string): ApiError {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    // Not Airlift's JSON (a proxy's error page): fall back to the status line.
  }
  const statusLine = [response.status, response.statusText].filter(Boolean).join(' ');
  return new ApiError(
    response.status,
    typeof error?.code === 'string' ? error.code : `http_${response.status}`,
    typeof error?.message === 'string' ? error.message : `The server answered ${statusLine}.`,
    parseRetryAfter(response.headers.get('Retry-After'), Date.now()),
  );
}

/** The `X-CSRFToken` header built from the `csrftoken` cookie (pass `document.cookie`), or none when the cookie is missing. */
export function csrfHeader(cookies: string): Record<string, string> {
  for (const pair of cookies.split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === 'csrftoken') return { 'X-CSRFToken': decodeURIComponent(value.join('=')) };
  }
  return {};
}
