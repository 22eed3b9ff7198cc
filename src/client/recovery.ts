/**
 * "Bytes are getting through again": a request that gets through after an outage wakes the
 * requests still sleeping out their backoff, so an upload does not idle for the rest of a
 * 16 s delay once the network is back. Shared by every file of an uploader.
 *
 * A few bytes of upload progress prove nothing: a connection the network resets at once
 * still reports what the socket buffered, megabytes of it. What counts is a request that
 * completed, or a PUT that has sent `RECOVERY_BYTES` in one attempt.
 */
export const RECOVERY_BYTES = 16 * 1024 ** 2;

export class Recovery {
  readonly #waiters = new Set<() => void>();

  /** Called when a request got through (see above). */
  gotThrough(): void {
    if (this.#waiters.size === 0) return;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves when a request next gets through; rejects with the signal's reason if it aborts first. */
  next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(signal.reason);
      };
      this.#waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
