import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { RequestTimeout } from './errors.ts';
import { parseStoreError, reachByFetch, sendableHeaders, withStallTimeout, type Transport } from './transport.ts';

describe('parseStoreError', () => {
  it.each([
    [
      'S3/R2 XML',
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
      { code: 'AccessDenied', message: 'Request has expired' },
    ],
    ['XML without a message', '<Error><Code>SignatureDoesNotMatch</Code></Error>', { code: 'SignatureDoesNotMatch', message: 'SignatureDoesNotMatch' }],
    ['Airlift JSON', '{"error":{"code":"expired","message":"This upload link has expired."}}', { code: 'expired', message: 'This upload link has expired.' }],
    ['broken JSON', '{"error":', undefined],
    ['an HTML page', '<html><body>Bad gateway</body></html>', undefined],
    ['nothing', '', undefined],
  ])('%s', (_, body, expected) => {
    expect(parseStoreError(body)).toEqual(expected);
  });
});

describe('sendableHeaders', () => {
  it('drops the headers the HTTP client computes itself', () => {
    expect(sendableHeaders({ 'Content-Type': 'video/mp4', 'Content-Length': '10', Host: 'x', 'Content-MD5': 'abc' })).toEqual({
      'Content-Type': 'video/mp4',
      'Content-MD5': 'abc',
    });
  });
});

describe('withStallTimeout', () => {
  /** A transport that reports progress at the given times (ms), then answers, unless aborted first. */
  const scripted = (progressAt: number[], answerAt: number): Transport => ({
    put: (_url, _headers, _body, onProgress, signal) =>
      new Promise((resolve, reject) => {
        const timers = progressAt.map((at, index) => setTimeout(() => onProgress(index + 1), at));
        timers.push(setTimeout(() => resolve({ status: 200, etag: '"e"' }), answerAt));
        signal.addEventListener('abort', () => {
          timers.forEach(clearTimeout);
          reject(signal.reason);
        });
      }),
  });

  it.each([
    ['steady progress is never cut', [900, 1800, 2700], 3600, 'answered'],
    ['silence longer than the limit is', [900], 3600, 'stalled'],
  ])('%s', async (_, progressAt, answerAt, outcome) => {
    vi.useFakeTimers();
    try {
      const put = withStallTimeout(scripted(progressAt, answerAt), 1000).put('u', {}, new Blob(), () => {}, new AbortController().signal);
      const settled = put.then(() => 'answered', (error: unknown) => (error instanceof RequestTimeout ? 'stalled' : error));
      await vi.advanceTimersByTimeAsync(4000);
      expect(await settled).toBe(outcome);
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes the caller’s abort reason through', async () => {
    const controller = new AbortController();
    const put = withStallTimeout(scripted([], 10_000), 5000).put('u', {}, new Blob(), () => {}, controller.signal);
    const reason = new Error('paused');
    controller.abort(reason);
    await expect(put).rejects.toBe(reason);
  });

  it('keeps the transport’s way to reach the store, and adds none to one without', async () => {
    const reached: string[] = [];
    const inner: Transport = { ...scripted([], 0), reach: async (url) => void reached.push(url) };
    await withStallTimeout(inner, 5000).reach!('https://store/b/k', new AbortController().signal);
    expect(reached).toEqual(['https://store/b/k']);
    expect(withStallTimeout(scripted([], 0), 5000).reach).toBeUndefined();
  });
});

describe('reachByFetch', () => {
  it('resolves on any answer of the store’s origin (a refusal too), asking GET / with no credentials', async () => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.cookie ?? ''}`.trim());
      response.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(reachByFetch(`http://127.0.0.1:${port}/bucket/videos/a.mp4?X-Amz-Signature=abc`, new AbortController().signal)).resolves.toBeUndefined();
      expect(seen).toEqual(['GET /']);
    } finally {
      server.close();
    }
  });

  it('rejects when nothing answers', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    await expect(reachByFetch(`http://127.0.0.1:${port}/bucket/a`, new AbortController().signal)).rejects.toThrow();
  });
});
