import { describe, expect, it } from 'vitest';
import { DEFAULT_PART_SIZE, SINGLE_PUT_MAX } from '../shared/plan.ts';
import { budgetFor, expectedSendMs, linkPlan } from './link-plan.ts';

const MiB = 1024 ** 2;
const mbit = (n: number) => (n * 1e6) / 8;

describe('linkPlan', () => {
  it.each([
    [8, 7, 1],
    [40, 19, 2],
    [100, 23, 4],
    [200, 47, 4],
    [10_000, 64, 4],
  ])('at %d Mbit/s sends parts of %d MiB, %d in flight', (rate, partMiB, inFlight) => {
    const plan = linkPlan(mbit(rate));
    expect(plan.partSize).toBe(partMiB * MiB);
    expect(plan.inFlight).toBe(inFlight);
    expect(plan.singlePutMax).toBe(Math.min(SINGLE_PUT_MAX, partMiB * MiB * inFlight));
  });

  it('keeps on loopback the CPU-tuned plan: 64 MiB parts, four in flight, one PUT up to 256 MiB', () => {
    expect(linkPlan(1e9)).toEqual({ partSize: DEFAULT_PART_SIZE, inFlight: 4, singlePutMax: 256 * MiB });
  });

  it('assumes a slow link before any measure, so the first upload is safe', () => {
    expect(linkPlan(null)).toEqual(linkPlan(mbit(8)));
    expect(linkPlan(0)).toEqual(linkPlan(mbit(8)));
  });

  it('never goes under the store’s 5 MiB parts, even on the slowest link', () => {
    expect(linkPlan(mbit(1)).partSize).toBe(5 * MiB);
  });

  it.each([5, 8, 20, 40, 80, 100, 200, 268, 500, 1000])('at %d Mbit/s, what a cut can lose (every part in flight, or one PUT) is at most 10 s of the link', (rate) => {
    const plan = linkPlan(mbit(rate));
    const lost = Math.max(plan.partSize * plan.inFlight, plan.singlePutMax);
    expect(lost / mbit(rate)).toBeLessThanOrEqual(10);
  });
});

describe('budgetFor and expectedSendMs', () => {
  it('lets 10 s of the live rate be in flight: room for the plan’s parts in flight at 8 s each', () => {
    expect(budgetFor(mbit(40))).toBe(mbit(40) * 10);
    expect(budgetFor(null)).toBe(budgetFor(mbit(8)));
    for (const rate of [8, 40, 100, 200]) {
      const plan = linkPlan(mbit(rate));
      expect(plan.partSize * plan.inFlight).toBeLessThanOrEqual(budgetFor(mbit(rate) * 0.9));
    }
  });

  it('times a part at its share of the link', () => {
    expect(expectedSendMs(7 * MiB, mbit(8))).toBe(Math.ceil((7 * MiB * 1000) / mbit(8)));
    expect(expectedSendMs(19 * MiB, mbit(40))).toBe(Math.ceil((19 * MiB * 2 * 1000) / mbit(40)));
    expect(expectedSendMs(7 * MiB, null)).toBe(expectedSendMs(7 * MiB, mbit(8)));
  });
});
