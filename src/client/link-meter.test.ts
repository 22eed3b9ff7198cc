import { describe, expect, it } from 'vitest';
import { LINK_KEY, LINK_MEMORY_MS, LinkMeter } from './link-meter.ts';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}

/** Feeds `seconds` of sending at `rate` bytes/s, a sample every 100 ms from `start` ms. */
function send(meter: LinkMeter, rate: number, seconds: number, start = 0, sent = 0): number {
  for (let at = 0; at <= seconds * 1000; at += 100) meter.add(start + at, sent + (rate * at) / 1000);
  return sent + rate * seconds;
}

describe('LinkMeter', () => {
  it('knows no rate before it measured one', () => {
    expect(new LinkMeter(memoryStorage()).rate()).toBeNull();
  });

  it('measures the rate from the bytes sent, once it has seconds of them, and remembers it', () => {
    const storage = memoryStorage();
    const meter = new LinkMeter(storage, () => 1_000_000);
    meter.add(0, 0);
    meter.add(500, 500_000);
    expect(meter.rate()).toBeNull();
    send(meter, 5e6, 6);
    expect(meter.rate()).toBeCloseTo(5e6, -3);
    expect(JSON.parse(storage.items.get(LINK_KEY)!)).toEqual({ bytesPerSecond: 5e6, at: 1_000_000 });
    expect(new LinkMeter(storage, () => 1_000_000 + 3600_000).rate()).toBe(5e6);
  });

  it('forgets a measure older than 36 h, or one it cannot read', () => {
    const storage = memoryStorage();
    storage.setItem(LINK_KEY, JSON.stringify({ bytesPerSecond: 5e6, at: 0 }));
    expect(new LinkMeter(storage, () => LINK_MEMORY_MS - 1).rate()).toBe(5e6);
    expect(new LinkMeter(storage, () => LINK_MEMORY_MS).rate()).toBeNull();
    storage.setItem(LINK_KEY, '{not json');
    expect(new LinkMeter(storage).rate()).toBeNull();
    storage.setItem(LINK_KEY, JSON.stringify({ bytesPerSecond: -1, at: 0 }));
    expect(new LinkMeter(storage, () => 0).rate()).toBeNull();
  });

  it('follows a change of link, and does not measure across an idle gap', () => {
    const meter = new LinkMeter();
    const sent = send(meter, 1e6, 10);
    meter.idle();
    send(meter, 25e6, 10, 60_000, sent);
    expect(meter.rate()).toBeCloseTo(25e6, -4);
  });

  it('keeps working when the storage refuses writes', () => {
    const meter = new LinkMeter({ getItem: () => null, setItem: () => { throw new Error('quota'); } });
    send(meter, 1e6, 3);
    expect(meter.rate()).toBeCloseTo(1e6, -3);
  });
});
