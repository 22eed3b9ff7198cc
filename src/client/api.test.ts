import { describe, expect, it } from 'vitest';
import { ApiClient, csrfHeader } from './api.ts';
import { ApiError, NetworkError, RequestTimeout } from './errors.ts';

describe('csrfHeader', () => {
  it.each([
    ['csrftoken=abc', { 'X-CSRFToken': 'abc' }],
    ['session=s1; csrftoken=a%2Fb=c; theme=dark', { 'X-CSRFToken': 'a/b=c' }],
    ['xcsrftoken=nope', {}],
    ['', {}],
  ])('%j', (cookies, headers) => {
    expect(csrfHeader(cookies)).toEqual(headers);
  });
});

describe('ApiClient', () => {
  /** A client whose fetch answers every call with `respond`, recording what was asked. */
  const clientAnswering = (respond: () => Promise<Response>, options = {}) => {
    const calls: { url: string; init: RequestInit }[] = [];
    const api = new ApiClient({
      baseUrl: 'http://127.0.0.1:3000/',
      headers: () => ({ 'X-CSRFToken': 't', Cookie: 'session=s' }),
      fetch: async (url, init) => {
        calls.push({ url: String(url), init: init! });
        return respond();
      },
      ...options,
    });
    return { api, calls };
  };

  it('sends JSON with the provided headers to the base URL', async () => {
    const { api, calls } = clientAnswering(async () => Response.json({ parts: [] }));
    await api.signParts('u/1', { part_numbers: [1, 2] });
    expect(calls[0]!.url).toBe('http://127.0.0.1:3000/api/v1/uploads/u%2F1/parts');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers).toMatchObject({ 'X-CSRFToken': 't', Cookie: 'session=s', 'Content-Type': 'application/json' });
    expect(calls[0]!.init.body).toBe('{"part_numbers":[1,2]}');
  });

  it.each([
    [
      'Airlift’s error body',
      () => Response.json({ error: { code: 'too_large', message: 'The video is larger than 50 GiB.' } }, { status: 413 }),
      { status: 413, code: 'too_large', message: 'The video is larger than 50 GiB.', retryAfterMs: undefined },
    ],
    [
      'a proxy page with Retry-After',
      () => new Response('<html>busy</html>', { status: 503, statusText: 'Service Unavailable', headers: { 'Retry-After': '4' } }),
      { status: 503, code: 'http_503', message: 'The server answered 503 Service Unavailable.', retryAfterMs: 4000 },
    ],
  ])('turns %s into an ApiError', async (_, respond, expected) => {
    const { api } = clientAnswering(async () => respond());
    const error = await api.getUpload('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject(expected);
  });

  it('resolves a 204 to nothing', async () => {
    const { api } = clientAnswering(async () => new Response(null, { status: 204 }));
    await expect(api.abortUpload('1')).resolves.toBeUndefined();
  });

  it('reports an unreachable server as a NetworkError and a silent one as a RequestTimeout', async () => {
    const unreachable = clientAnswering(() => Promise.reject(new TypeError('fetch failed'))).api;
    await expect(unreachable.getUpload('1')).rejects.toBeInstanceOf(NetworkError);
    const silent = new ApiClient({
      timeoutMs: 20,
      fetch: (_url, init) => new Promise((_, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason))),
    });
    await expect(silent.getUpload('1')).rejects.toBeInstanceOf(RequestTimeout);
  });
});
