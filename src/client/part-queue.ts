import { childController } from './abort.ts';

/**
 * The request queue: at most `limit` part PUTs in flight across every file of an uploader.
 * Waiting requests start in (priority, arrival) order, so files go in the order they were
 * added and each file's parts in order.
 */
interface Waiter {
  priority: number;
  seq: number;
  grant(): void;
}

export class PartQueue {
  #running = 0;
  #seq = 0;
  readonly #waiting: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`The concurrency must be a whole number of at least 1, got ${limit}.`);
  }

  /** Runs `task` once a slot is free; rejects with the signal's reason if it aborts while waiting. */
  async run<T>(priority: number, signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    await this.#acquire(priority, signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(priority: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#running < this.limit) {
      this.#running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        seq: this.#seq++,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Most arrivals go last: search from the end.
      let at = this.#waiting.length;
      while (at > 0 && this.#waiting[at - 1]!.priority > priority) at -= 1;
      this.#waiting.splice(at, 0, waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.grant();
    else this.#running -= 1;
  }
}

/**
 * Runs every task under one signal; the first failure aborts the others (with that failure
 * as the reason) and is rethrown once all have settled, so nothing keeps running behind it.
 */
export async function allOrNothing(tasks: ((signal: AbortSignal) => Promise<unknown>)[], signal: AbortSignal): Promise<void> {
  const { controller: group, dispose } = childController(signal);
  let failure: { error: unknown } | undefined;
  try {
    await Promise.all(
      tasks.map((task) =>
        task(group.signal).catch((error: unknown) => {
          if (failure) return;
          failure = { error };
          group.abort(error);
        }),
      ),
    );
  } finally {
    dispose();
  }
  if (failure) throw failure.error;
}
