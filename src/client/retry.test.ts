import { describe, expect, it, vi } from 'vitest';
import { alwaysOnline, type Connectivity } from './connectivity.ts';
import { ApiError, Interruption, NetworkError, RequestTimeout, StoreRefused, UploadFailed } from './errors.ts';
import { Recovery } from './recovery.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, judge, parseRetryAfter, PROBE_INTERVAL_MS, retrying, type RetryWait, type Verdict } from './retry.ts';


/** Runs `test` on vitest's fake timers, and puts the real ones back whatever happens. */
async function withFakeTimers(test: () => Promise<void>): Promise<void> {
  vi.useFakeTimers();
  try {
    await test();
  } finally {
    vi.useRealTimers();
  }
}

describe('backoffDelay', () => {
  const policy = { retries: 8, baseDelayMs: 1000, maxDelayMs: 30_000 };
  it.each([
    [0, 1, 1000],
    [1, 1, 2000],
    [2, 1, 4000],
    [4, 1, 16_000],
    [5, 1, 30_000],
    [7, 1, 30_000],
    [60, 1, 30_000],
    [3, 0, 0],
    [3, 0.5, 4000],
  ])('retry %i with random %f waits %i ms', (retry, random, expected) => {
    expect(backoffDelay(retry, policy, () => random)).toBe(expected);
  });

  it('stays within [0, ceiling] for every retry of the default policy', () => {
    for (let retry = 0; retry < DEFAULT_RETRY_POLICY.retries; retry++) {
      const delay = backoffDelay(retry, DEFAULT_RETRY_POLICY);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(30_000, 1000 * 2 ** retry));
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it.each([
    ['120', 120_000],
    [' 3 ', 3000],
    ['0', 0],
    ['Wed, 25 Nov 2026 12:00:30 GMT', 30_000],
    ['Wed, 25 Nov 2026 11:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j → %j ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe('judge', () => {
  const store = (status: number, extra: object = {}) => new StoreRefused({ status, etag: null, ...extra });
  it.each<[string, unknown, Verdict]>([
    ['a network error', new NetworkError('reset'), { action: 'retry', reason: 'network' }],
    ['a stall', new RequestTimeout('stalled'), { action: 'retry', reason: 'timeout' }],
    ['the store throttling', store(429, { retryAfterMs: 5000 }), { action: 'retry', reason: 'throttled', afterMs: 5000 }],
    ['the store failing', store(503), { action: 'retry', reason: 'server', afterMs: undefined }],
    ['the store timing out', store(408), { action: 'retry', reason: 'timeout' }],
    ['an expired signature', store(403, { error: { code: 'AccessDenied', message: 'Request has expired' } }), { action: 'resign' }],
    ['a corrupted part (S3)', store(400, { error: { code: 'BadDigest', message: 'x' } }), { action: 'retry', reason: 'checksum' }],
    ['a corrupted part (local store)', store(400, { error: { code: 'bad_digest', message: 'x' } }), { action: 'retry', reason: 'checksum' }],
    ['a conflict, whatever its code (the continued PUT judges its own: continued-put-sender.ts)', store(409, { error: { code: 'offset_mismatch', message: 'x' } }), { action: 'fail', message: 'The storage refused the upload: x' }],
    ['a part too small', store(400, { error: { code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed size' } }), { action: 'fail', message: 'The storage refused the upload: Your proposed upload is smaller than the minimum allowed size' }],
    ['the API failing', new ApiError(502, 'http_502', 'Bad gateway'), { action: 'retry', reason: 'server', afterMs: undefined }],
    ['the API throttling', new ApiError(429, 'rate_limited', 'Slow down', 2000), { action: 'retry', reason: 'throttled', afterMs: 2000 }],
    ['an API 403 (CSRF)', new ApiError(403, 'csrf', 'The CSRF token is missing.'), { action: 'fail', message: 'The CSRF token is missing.' }],
    ['a file too large', new ApiError(413, 'too_large', 'The video is larger than 50 GiB.'), { action: 'fail', message: 'The video is larger than 50 GiB.' }],
    ['the session gone', new ApiError(401, 'unauthorized', 'Log in to continue.'), { action: 'fail', message: 'Log in to continue.' }],
    ['a bug', new TypeError('x is undefined'), { action: 'fail', message: 'x is undefined' }],
  ])('%s', (_, error, verdict) => {
    expect(judge(error)).toEqual(verdict);
  });
});

describe('retrying', () => {
  const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 4 };
  const options = (extra: Partial<Parameters<typeof retrying>[1]> = {}) => ({
    policy: fast,
    signal: new AbortController().signal,
    connectivity: alwaysOnline,
    ...extra,
  });
  const failing = (...errors: unknown[]) => {
    const request = vi.fn(async () => {
      const error = errors.shift();
      if (error) throw error;
      return 'ok';
    });
    return request;
  };

  it('retries what can heal, announcing each wait and its end', async () => {
    const request = failing(new NetworkError('reset'), new ApiError(503, 'x', 'busy'));
    const waits: (RetryWait | null)[] = [];
    await expect(retrying(request, options({ onWait: (wait) => waits.push(wait) }))).resolves.toBe('ok');
    expect(request).toHaveBeenCalledTimes(3);
    expect(waits.map((wait) => wait && { reason: wait.reason, attempt: 'attempt' in wait ? wait.attempt : 0 })).toEqual([
      { reason: 'network', attempt: 1 },
      null,
      { reason: 'server', attempt: 2 },
      null,
    ]);
  });

  it('fails at once, with the message, on what cannot heal', async () => {
    const request = failing(new ApiError(415, 'unsupported_type', 'video/avi is not allowed.'));
    const failure = await retrying(request, options()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailed);
    expect(failure).toMatchObject({ message: 'video/avi is not allowed.', healable: false });
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('gives up after the policy’s retries, as a failure that can heal later', async () => {
    const request = failing(...Array.from({ length: 10 }, () => new NetworkError('The connection to the storage failed.')));
    const failure = await retrying(request, options()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ message: 'The connection to the storage failed. Gave up after 3 retries.', healable: true });
    expect(request).toHaveBeenCalledTimes(4);
  });

  it('asks for a fresh URL on a store 403, without waiting, and stops when the fresh one is refused too', async () => {
    const expired = () => new StoreRefused({ status: 403, etag: null });
    const resign = vi.fn();
    await expect(retrying(failing(expired()), options({ resign }))).resolves.toBe('ok');
    expect(resign).toHaveBeenCalledTimes(1);
    const failure = await retrying(failing(expired(), expired()), options({ resign })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ healable: false, message: 'The storage refused the upload (HTTP 403).' });
  });

  it('judges by the caller’s verdicts when given, and by the table otherwise', async () => {
    const conflict = () => new StoreRefused({ status: 409, etag: null, error: { code: 'offset_mismatch', message: 'x' } });
    const waits: (RetryWait | null)[] = [];
    const own = (error: unknown): Verdict => (error instanceof StoreRefused && error.result.status === 409 ? { action: 'retry', reason: 'server', afterMs: 0 } : judge(error));
    await expect(retrying(failing(conflict()), options({ judge: own, onWait: (wait) => waits.push(wait) }))).resolves.toBe('ok');
    expect(waits).toEqual([{ reason: 'server', attempt: 1, delayMs: 0 }, null]);
    await expect(retrying(failing(conflict()), options())).rejects.toMatchObject({ healable: false, message: 'The storage refused the upload: x' });
  });

  it('honours Retry-After', async () => {
    await withFakeTimers(async () => {
      const request = failing(new ApiError(429, 'x', 'slow down', 7000));
      const result = retrying(request, options());
      await vi.advanceTimersByTimeAsync(6999);
      expect(request).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      await expect(result).resolves.toBe('ok');
    });
  });

  it('waits for the network while offline instead of spending retries', async () => {
    let online = false;
    let backOnline!: () => void;
    const connectivity: Connectivity = {
      isOnline: () => online,
      waitUntilOnline: () => new Promise((resolve) => (backOnline = resolve)),
    };
    const request = failing(...Array.from({ length: 5 }, () => new NetworkError('offline')));
    const waits: (RetryWait | null)[] = [];
    const result = retrying(request, options({ connectivity, policy: { ...fast, retries: 0 }, onWait: (wait) => waits.push(wait) }));
    for (let i = 0; i < 5; i++) {
      await vi.waitFor(() => expect(waits.at(-1)).toEqual({ reason: 'offline' }));
      waits.length = 0;
      if (i === 4) online = true;
      backOnline();
    }
    await expect(result).resolves.toBe('ok');
    expect(request).toHaveBeenCalledTimes(6);
  });

  it('ends a wait after a lost connection once another request gets bytes through, but not a wait the server asked for', async () => {
    await withFakeTimers(async () => {
      const recovery = new Recovery();
      const slow = { retries: 3, baseDelayMs: 16_000, maxDelayMs: 16_000 };
      const lost = failing(new NetworkError('reset'));
      const throttled = failing(new ApiError(503, 'x', 'busy'));
      const afterCut = retrying(lost, options({ recovery, policy: slow, random: () => 1 }));
      const afterBusy = retrying(throttled, options({ recovery, policy: slow, random: () => 1 }));
      await vi.advanceTimersByTimeAsync(1000);
      expect(lost).toHaveBeenCalledTimes(1);
      recovery.gotThrough();
      await vi.advanceTimersByTimeAsync(0);
      await expect(afterCut).resolves.toBe('ok');
      expect(lost).toHaveBeenCalledTimes(2);
      expect(throttled).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(15_000);
      await expect(afterBusy).resolves.toBe('ok');
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('ends a wait after a lost connection once the probe succeeds, spending no retry on probes, but not a wait the server asked for', async () => {
    await withFakeTimers(async () => {
      const recovery = new Recovery();
      const woken = vi.fn();
      void recovery.next(new AbortController().signal).then(woken);
      const slow = { retries: 3, baseDelayMs: 16_000, maxDelayMs: 16_000 };
      const probe = vi.fn(async () => {
        if (probe.mock.calls.length < 3) throw new NetworkError('still down');
    });
    const lost = failing(new NetworkError('reset'));
    const busy = failing(new ApiError(503, 'x', 'busy'));
    const afterCut = retrying(lost, options({ recovery, probe, policy: slow, random: () => 1 }));
    const afterBusy = retrying(busy, options({ probe: async () => undefined, policy: slow, random: () => 1 }));
    await vi.advanceTimersByTimeAsync(2 * PROBE_INTERVAL_MS);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(lost).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(PROBE_INTERVAL_MS);
    await expect(afterCut).resolves.toBe('ok');
    expect(lost).toHaveBeenCalledTimes(2);
    expect(woken).toHaveBeenCalled(); // the other waits are woken too
    expect(busy).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(13_000);
    await expect(afterBusy).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('rethrows the abort reason untouched, during a request or a wait', async () => {
    const controller = new AbortController();
    const pause = new Interruption('pause');
    const result = retrying(failing(new NetworkError('reset')), options({ signal: controller.signal, policy: { retries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 1 }));
    setTimeout(() => controller.abort(pause), 5);
    await expect(result).rejects.toBe(pause);
  });
});
