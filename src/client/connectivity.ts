/** Whether the network is up, so retries wait for it instead of being spent while offline. */
export interface Connectivity {
  isOnline(): boolean;
  /** Resolves once the network is back; rejects with the signal's reason if it aborts first. */
  waitUntilOnline(signal: AbortSignal): Promise<void>;
  /** Calls `listener` when the machine wakes from sleep, when it can tell; returns the unsubscribe. */
  onWake?(listener: () => void): () => void;
}

interface Timers {
  setInterval(handler: () => void, ms: number): number;
  clearInterval(id: number): void;
}

/** A gap this long between ticks of a 1 s timer is a sleep (a hidden tab's timers still tick once a minute at worst). */
export const WAKE_GAP_MS = 20_000;
const TICK_MS = 1000;

/**
 * Tells of wakes from sleep: timers do not run while the machine sleeps, so a 1 s tick that
 * comes much later than due marks a wake. The clock is `Date.now`, which counts the sleep.
 */
export function wakeWatcher(timers: Timers = globalThis, now: () => number = Date.now) {
  const listeners = new Set<() => void>();
  let timer: number | undefined;
  let last = now();
  return (listener: () => void): (() => void) => {
    listeners.add(listener);
    timer ??= timers.setInterval(() => {
      const at = now();
      if (at - last >= WAKE_GAP_MS) for (const wake of listeners) wake();
      last = at;
    }, TICK_MS);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && timer !== undefined) {
        timers.clearInterval(timer);
        timer = undefined;
      }
    };
  };
}

/** For places with no notion of offline (Node): every failure is retried on its schedule. */
export const alwaysOnline: Connectivity = {
  isOnline: () => true,
  waitUntilOnline: () => Promise.resolve(),
};

/** The browser's view: `navigator.onLine`, the window's `online` event, and wakes from sleep. */
export function browserConnectivity(target: Window = window): Connectivity {
  return {
    onWake: wakeWatcher(target),
    isOnline: () => target.navigator.onLine,
    waitUntilOnline(signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        if (target.navigator.onLine) return resolve();
        const settle = (outcome: () => void) => () => {
          target.removeEventListener('online', onOnline);
          signal.removeEventListener('abort', onAbort);
          outcome();
        };
        const onOnline = settle(resolve);
        const onAbort = settle(() => reject(signal.reason));
        target.addEventListener('online', onOnline);
        signal.addEventListener('abort', onAbort);
      });
    },
  };
}
