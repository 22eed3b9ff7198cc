import { describe, expect, it, vi } from 'vitest';
import type { SignedPart } from '../shared/api.ts';
import { PartSigner } from './part-signer.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const signal = new AbortController().signal;

function setup({ upcoming = [1, 2, 3, 4, 5], batchSize = 3, lifetimeMs = 3_600_000 } = {}) {
  const sign = vi.fn(async (numbers: number[]): Promise<SignedPart[]> =>
    numbers.map((number) => ({ part_number: number, url: `https://store/part/${number}?v=${sign.mock.calls.length}`, headers: {}, expires_at: new Date(NOW + lifetimeMs).toISOString() })),
  );
  const signer = new PartSigner({ sign, upcoming: () => upcoming, batchSize, now: () => NOW });
  return { sign, signer };
}

describe('PartSigner', () => {
  it('signs the asked part with the next upcoming ones in one call, and reuses them', async () => {
    const { sign, signer } = setup();
    expect((await signer.urlFor(2, signal)).part_number).toBe(2);
    expect(sign).toHaveBeenCalledWith([2, 1, 3], signal);
    await signer.urlFor(1, signal);
    await signer.urlFor(3, signal);
    expect(sign).toHaveBeenCalledTimes(1);
    await signer.urlFor(4, signal);
    expect(sign).toHaveBeenLastCalledWith([4, 5], signal);
  });

  it('shares one call between parts asking at the same time', async () => {
    const { sign, signer } = setup();
    const parts = await Promise.all([1, 2, 3].map((number) => signer.urlFor(number, signal)));
    expect(parts.map((part) => part.part_number)).toEqual([1, 2, 3]);
    expect(sign).toHaveBeenCalledTimes(1);
  });

  it('signs again a URL about to expire, and one it was told to forget', async () => {
    const { sign, signer } = setup({ lifetimeMs: 10_000 });
    await signer.urlFor(1, signal);
    await signer.urlFor(2, signal);
    expect(sign).toHaveBeenCalledTimes(2);

    const fresh = setup();
    const first = await fresh.signer.urlFor(1, signal);
    fresh.signer.forget(1);
    const second = await fresh.signer.urlFor(1, signal);
    expect(second.url).not.toBe(first.url);
  });

  it('signs again a URL whose time left would not cover the part’s send time and 30 s, and uses a fresh one whatever its lifetime', async () => {
    let now = NOW;
    const sign = vi.fn(async (numbers: number[]): Promise<SignedPart[]> =>
      numbers.map((number) => ({ part_number: number, url: `https://store/part/${number}?v=${sign.mock.calls.length}`, headers: {}, expires_at: new Date(now + 60_000).toISOString() })),
    );
    // Parts of 20 s on the link: a URL needs 50 s left.
    const signer = new PartSigner({ sign, upcoming: () => [1, 2, 3], batchSize: 3, now: () => now, sendTimeMs: () => 20_000 });
    await signer.urlFor(1, signal);
    now += 5_000;
    expect((await signer.urlFor(2, signal)).url).toContain('v=1');
    now += 6_000;
    expect((await signer.urlFor(3, signal)).url).toContain('v=2');
    expect(sign).toHaveBeenCalledTimes(2);
    // A URL that lives less than the part takes is still used fresh: nothing better can be had.
    const short = new PartSigner({ sign, upcoming: () => [1], batchSize: 1, now: () => now, sendTimeMs: () => 120_000 });
    expect((await short.urlFor(1, signal)).part_number).toBe(1);
  });

  it('uses a URL handed out with the upload without signing', async () => {
    const { sign, signer } = setup();
    signer.remember({ part_number: 1, url: 'https://store/whole', headers: {}, expires_at: new Date(NOW + 60_000).toISOString() });
    expect((await signer.urlFor(1, signal)).url).toBe('https://store/whole');
    expect(sign).not.toHaveBeenCalled();
  });

  it('says so when the server leaves a part out', async () => {
    const signer = new PartSigner({ sign: async () => [], upcoming: () => [], batchSize: 1 });
    await expect(signer.urlFor(7, signal)).rejects.toThrow('The server did not sign part 7.');
  });
});
