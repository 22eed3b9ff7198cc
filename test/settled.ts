import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads `read` until two reads `everyMs` apart agree, and returns that value: for what a
 * store holds while a server may still be writing the bytes of a request cut short.
 */
export async function settled<T>(read: () => Promise<T>, everyMs = 200): Promise<T> {
  let value = await read();
  for (;;) {
    await sleep(everyMs);
    const next = await read();
    if (isDeepStrictEqual(next, value)) return next;
    value = next;
  }
}
