/**
 * Retries that know why they retry: only failures that can heal (network, timeout, 5xx, 429,
 * a corrupted part) are tried again, after an exponential backoff with full jitter or the
 * server's Retry-After; a 403 from the store gets one fresh URL; any other 4xx fails at once
 * with the server's message. While the browser is offline, retries wait for the network
 * instead of being spent.
 */
import { childController, sleep } from './abort.ts';
import type { Connectivity } from './connectivity.ts';
import { ApiError, NetworkError, RequestTimeout, SplitIntoParts, StoreRefused, UploadFailed } from './errors.ts';
import type { Recovery } from './recovery.ts';

export interface RetryPolicy {
  /** Retries of one request before the upload fails (so `retries + 1` attempts). */
  retries: number;
  /** The ceiling of the first retry's delay; it doubles with each retry. */
  baseDelayMs: number;
  /** The largest ceiling a delay can reach. */
  maxDelayMs: number;
}

/**
 * Eight retries with ceilings of 1, 2, 4, 8, 16, 30, 30, 30 s: a request survives about two
 * minutes of outage (about one on average, with jitter) before the upload gives up, and the
 * jitter spreads the parallel parts' retries so they do not hammer a recovering server together.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 8, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** The delay before retry number `retry` (0 for the first): uniform in [0, min(max, base·2^retry)] ("full jitter"). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling * random());
}

/** A Retry-After header (delta-seconds or an HTTP date) in milliseconds from `nowMs`, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export type RetryReason = 'network' | 'timeout' | 'server' | 'throttled' | 'checksum';

export type Verdict =
  | { action: 'retry'; reason: RetryReason; afterMs?: number }
  | { action: 'resign' }
  | { action: 'fail'; message: string };

/** What a failed request deserves, by the rules every request shares (a sender may add its own: `RetryOptions.judge`). */
export function judge(error: unknown): Verdict {
  if (error instanceof NetworkError) return { action: 'retry', reason: 'network' };
  if (error instanceof RequestTimeout) return { action: 'retry', reason: 'timeout' };
  if (error instanceof StoreRefused) {
    const { status, retryAfterMs, error: body } = error.result;
    // The store's 403 is most often an expired signature, which a fresh URL heals.
    if (status === 403) return { action: 'resign' };
    // A part whose bytes did not match its signed MD5 was corrupted on the way: send it again.
    if (status === 400 && /^bad_?digest$/i.test(body?.code ?? '')) return { action: 'retry', reason: 'checksum' };
    return judgeStatus(status, retryAfterMs, error.message);
  }
  if (error instanceof ApiError) return judgeStatus(error.status, error.retryAfterMs, error.message);
  return { action: 'fail', message: error instanceof Error ? error.message : String(error) };
}

function judgeStatus(status: number, retryAfterMs: number | undefined, message: string): Verdict {
  if (status === 429) return { action: 'retry', reason: 'throttled', afterMs: retryAfterMs };
  if (status === 408) return { action: 'retry', reason: 'timeout' };
  if (status >= 500) return { action: 'retry', reason: 'server', afterMs: retryAfterMs };
  return { action: 'fail', message };
}

/** Why a request is waiting before its next attempt. */
export type RetryWait = { reason: 'offline' } | { reason: RetryReason; attempt: number; delayMs: number };

export interface RetryOptions {
  policy: RetryPolicy;
  /** Aborts the waits and the attempts; its reason is rethrown untouched. */
  signal: AbortSignal;
  connectivity: Connectivity;
  /** Told when the request starts waiting, and `null` when the wait is over. */
  onWait?: (wait: RetryWait | null) => void;
  /** Drops the request's signed URL so the next attempt signs a fresh one; without it a store's 403 fails. */
  resign?: () => void;
  /** Ends a wait after a lost connection or a timeout as soon as another request gets bytes through. */
  recovery?: Recovery;
  /**
   * A cheap request that succeeds once the failed one can (for the local store's PUT, a call
   * to the app, which is the store): during a wait after a lost connection or a timeout it
   * runs every `PROBE_INTERVAL_MS`, spending no retry, and its first success ends the wait and
   * wakes the others. A lone request otherwise idles out its backoff once the network is back.
   */
  probe?: (signal: AbortSignal) => Promise<unknown>;
  /** The verdict table, for a request whose store has refusals of its own to tell apart; `judge` by default. */
  judge?: (error: unknown) => Verdict;
  random?: () => number;
}

/** What a file upload's requests may add to its retry policy; `waitKey` says whose wait it is in the file's state (0, the default, for API calls). */
export interface RequestOptions extends Pick<RetryOptions, 'resign' | 'probe' | 'judge'> {
  waitKey?: number;
}

/** `retrying` with a file upload's policy, connectivity and state: what its steps and its sender run their requests through. */
export type Requester = <T>(request: () => Promise<T>, signal: AbortSignal, options?: RequestOptions) => Promise<T>;

/**
 * Runs `request` until it succeeds, retrying as `options.judge` (by default `judge`) says.
 * Throws the signal's reason when aborted, and otherwise an `UploadFailed` that says whether
 * a later try could heal.
 */
export async function retrying<T>(request: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal, connectivity, onWait } = options;
  const wait = async (announced: RetryWait, until: () => Promise<void>) => {
    onWait?.(announced);
    try {
      await until();
    } finally {
      onWait?.(null);
    }
  };
  let retries = 0;
  let justResigned = false;
  for (;;) {
    signal.throwIfAborted();
    try {
      return await request();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof UploadFailed || error instanceof SplitIntoParts) throw error;
      const verdict = (options.judge ?? judge)(error);
      if (verdict.action === 'fail') throw new UploadFailed(verdict.message, false, { cause: error });
      if (verdict.action === 'resign') {
        // A fresh URL refused again is not an expired signature: stop with the store's word.
        if (!options.resign || justResigned) throw new UploadFailed((error as Error).message, false, { cause: error });
        options.resign();
        justResigned = true;
        continue;
      }
      justResigned = false;
      if (!connectivity.isOnline()) {
        await wait({ reason: 'offline' }, () => connectivity.waitUntilOnline(signal));
        continue;
      }
      if (retries === policy.retries) {
        throw new UploadFailed(`${(error as Error).message} Gave up after ${retries} retries.`, true, { cause: error });
      }
      const delayMs = verdict.afterMs ?? backoffDelay(retries, policy, options.random);
      retries += 1;
      const linkFailed = verdict.reason === 'network' || verdict.reason === 'timeout';
      await wait({ reason: verdict.reason, attempt: retries, delayMs }, () => (linkFailed ? sleepUntilRecovered(delayMs, options, signal) : sleep(delayMs, signal)));
    }
  }
}

export const PROBE_INTERVAL_MS = 1000;

/** Sleeps `ms`, or less if another request gets bytes through or the probe succeeds meanwhile. */
async function sleepUntilRecovered(ms: number, { recovery, probe }: Pick<RetryOptions, 'recovery' | 'probe'>, signal: AbortSignal): Promise<void> {
  const { controller, dispose } = childController(signal);
  const woken = [sleep(ms, controller.signal)];
  if (recovery) woken.push(recovery.next(controller.signal));
  if (probe) woken.push(untilProbeAnswers(probe, controller.signal).then(() => recovery?.gotThrough()));
  try {
    await Promise.race(woken);
  } finally {
    // Stops the losers; their rejections are expected.
    controller.abort(new Error('settled'));
    dispose();
  }
}

/** Runs `probe` every `PROBE_INTERVAL_MS` until it succeeds. */
async function untilProbeAnswers(probe: NonNullable<RetryOptions['probe']>, signal: AbortSignal): Promise<void> {
  for (;;) {
    await sleep(PROBE_INTERVAL_MS, signal);
    const answered = await probe(signal).then(
      () => true,
      () => false,
    );
    signal.throwIfAborted();
    if (answered) return;
  }
}
