/** Whether the network is up, so retries wait for it instead of being spent while offline. */
export interface Connectivity {
  isOnline(): boolean;
  /** Resolves once the network is back; rejects with the signal's reason if it aborts first. */
  waitUntilOnline(signal: AbortSignal): Promise<void>;
}

/** For places with no notion of offline (Node): every failure is retried on its schedule. */
export const alwaysOnline: Connectivity = {
  isOnline: () => true,
  waitUntilOnline: () => Promise.resolve(),
};

/** The browser's view: `navigator.onLine` and the window's `online` event. */
export function browserConnectivity(target: Window = window): Connectivity {
  return {
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
