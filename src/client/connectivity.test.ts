import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WAKE_GAP_MS, wakeWatcher } from './connectivity.ts';

describe('wakeWatcher', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('tells of a long gap between ticks (a sleep), not of ticks on time, and stops ticking once nobody listens', () => {
    const onWake = vi.fn();
    const watch = wakeWatcher(globalThis, Date.now);
    const stop = watch(onWake);
    vi.advanceTimersByTime(60_000);
    expect(onWake).not.toHaveBeenCalled();
    // The machine sleeps: the clock jumps, the timer did not run meanwhile.
    vi.setSystemTime(Date.now() + WAKE_GAP_MS + 5000);
    vi.advanceTimersByTime(1000);
    expect(onWake).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(onWake).toHaveBeenCalledTimes(1);
    stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
