import { childController } from './abort.ts';

/**
 * The request queue: at most `limit` part PUTs in flight across every file of an uploader,
 * and within the room the link leaves (`link-plan.ts`): no more parts than it fills, and no
 * more bytes than a cut may cost, though always one part, however large. Parts in flight
 * share the link and progress together, so a cut loses about half of each: their number, not
 * only their bytes, is what a cut costs. Waiting requests start in (priority, arrival) order,
 * so files go in the order they were added and each file's parts in order.
 *
 * In one stream, a part whose bytes are all sent hands its place over (`Place`): the next
 * one starts while it waits for the store's answer, so no round trip is idle between parts.
 */
/** What the link has room for in flight at once. */
export interface Room {
  parts: number;
  bytes: number;
}

const UNLIMITED: Room = { parts: Infinity, bytes: Infinity };

/** A running task's place in the queue. */
export interface Place {
  /** Lets the next task start when the queue runs one at a time: this one's bytes are all on the way, only the answer is awaited. */
  handOver(): void;
  /** Takes a place again after `handOver`, before sending anew (ahead of the tasks of its priority that wait); at once when it holds one. */
  retake(signal: AbortSignal): Promise<void>;
}

interface Waiter {
  priority: number;
  bytes: number;
  grant(): void;
}

export class PartQueue {
  #running = 0;
  #runningBytes = 0;
  readonly #waiting: Waiter[] = [];

  /** `room` is read at each start, so it can follow the link's live rate. */
  constructor(
    readonly limit: number,
    readonly room: () => Room = () => UNLIMITED,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`The concurrency must be a whole number of at least 1, got ${limit}.`);
  }

  /** Runs `task` (which sends `bytes`) once a slot and the budget allow; rejects with the signal's reason if it aborts while waiting. */
  async run<T>(priority: number, signal: AbortSignal, task: (place: Place) => Promise<T>, bytes = 0): Promise<T> {
    await this.#acquire(priority, bytes, signal, false);
    let held = true;
    const place: Place = {
      handOver: () => {
        // Several streams overlap one another's round trips already; one more request there
        // would only load a store that is the limit (S3 on loopback: 0.70× the whole-file PUT).
        if (!held || Math.min(this.limit, this.room().parts) > 1) return;
        held = false;
        this.#release(bytes);
      },
      retake: async (retakeSignal) => {
        if (held) return;
        await this.#acquire(priority, bytes, retakeSignal, true);
        held = true;
      },
    };
    try {
      return await task(place);
    } finally {
      if (held) this.#release(bytes);
    }
  }

  /** Starts what a grown room now allows (the engine calls it as the rate rises). */
  refill(): void {
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.bytes)) this.#start(this.#waiting.shift()!);
  }

  #fits(bytes: number): boolean {
    if (this.#running === 0) return true;
    const room = this.room();
    return this.#running < Math.min(this.limit, room.parts) && this.#runningBytes + bytes <= room.bytes;
  }

  #start(waiter: Pick<Waiter, 'bytes' | 'grant'>): void {
    this.#running += 1;
    this.#runningBytes += waiter.bytes;
    waiter.grant();
  }

  #acquire(priority: number, bytes: number, signal: AbortSignal, first: boolean): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#start({ bytes, grant: () => undefined });
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        bytes,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(signal.reason);
        // The head may have been what held the others back.
        this.refill();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Most arrivals go last: search from the end. A part going again goes first of its priority.
      let at = this.#waiting.length;
      const behind = first ? (other: number) => other >= priority : (other: number) => other > priority;
      while (at > 0 && behind(this.#waiting[at - 1]!.priority)) at -= 1;
      this.#waiting.splice(at, 0, waiter);
    });
  }

  #release(bytes: number): void {
    this.#running -= 1;
    this.#runningBytes -= bytes;
    this.refill();
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
