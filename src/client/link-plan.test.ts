import { describe, expect, it } from 'vitest';
import { DEFAULT_PART_SIZE, SINGLE_PUT_MAX } from '../shared/plan.ts';
import { budgetFor, expectedSendMs, linkPlan, outpacedPut, roomFor } from './link-plan.ts';

const MiB = 1024 ** 2;
const mbit = (n: number) => (n * 1e6) / 8;

describe('linkPlan', () => {
  it.each([
    [8, 5, 1],
    [20, 5, 1],
    [40, 5, 1],
    [79, 9, 1],
    [100, 5, 4],
    [200, 11, 4],
    [399, 23, 4],
  ])('at %d Mbit/s sends parts of %d MiB, %d in flight', (rate, partMiB, inFlight) => {
    const plan = linkPlan(mbit(rate));
    expect(plan.partSize).toBe(partMiB * MiB);
    expect(plan.inFlight).toBe(inFlight);
    expect(plan.singlePutMax).toBe(Math.min(SINGLE_PUT_MAX, partMiB * MiB * inFlight));
  });

  it.each([400, 500, 799])('at %d Mbit/s keeps the CPU-tuned plan: 64 MiB parts, four in flight, one PUT up to 256 MiB', (rate) => {
    expect(linkPlan(mbit(rate))).toEqual({ partSize: DEFAULT_PART_SIZE, inFlight: 4, singlePutMax: 256 * MiB });
  });

  it.each([
    [800, 1e9],
    [1000, 1.25e9],
    [8000, 10e9],
  ])('at %d Mbit/s, where the CPU limits parts, sends files up to 10 s of the link in one PUT (%d bytes)', (rate, singlePutMax) => {
    expect(linkPlan(mbit(rate))).toEqual({ partSize: DEFAULT_PART_SIZE, inFlight: 4, singlePutMax });
  });

  it('assumes a slow link before any measure, so the first upload is safe', () => {
    expect(linkPlan(null)).toEqual(linkPlan(mbit(8)));
    expect(linkPlan(0)).toEqual(linkPlan(mbit(8)));
  });

  it('never goes under the store’s 5 MiB parts, even on the slowest link', () => {
    expect(linkPlan(mbit(1)).partSize).toBe(5 * MiB);
  });

  it.each([5, 8, 20, 40, 80, 100, 200, 268, 399, 400, 500, 799, 800, 1000, 8000])('at %d Mbit/s, what a cut can lose (every part in flight, or one PUT) is at most 10 s of the link', (rate) => {
    const plan = linkPlan(mbit(rate));
    const lost = Math.max(plan.partSize * plan.inFlight, plan.singlePutMax);
    expect(lost / mbit(rate)).toBeLessThanOrEqual(10);
  });
});

describe('budgetFor and expectedSendMs', () => {
  it('lets 10 s of the live rate be in flight: room for the plan’s parts in flight, with a drop of 10 % to spare', () => {
    expect(budgetFor(mbit(40))).toBe(mbit(40) * 10);
    expect(budgetFor(null)).toBe(budgetFor(mbit(8)));
    for (const rate of [8, 40, 100, 200]) {
      const plan = linkPlan(mbit(rate));
      expect(plan.partSize * plan.inFlight).toBeLessThanOrEqual(budgetFor(mbit(rate) * 0.9));
    }
  });

  it('times a part at its share of the link', () => {
    expect(expectedSendMs(5 * MiB, mbit(8))).toBe(Math.ceil((5 * MiB * 1000) / mbit(8)));
    expect(expectedSendMs(11 * MiB, mbit(200))).toBe(Math.ceil((11 * MiB * 4 * 1000) / mbit(200)));
    expect(expectedSendMs(5 * MiB, null)).toBe(expectedSendMs(5 * MiB, mbit(8)));
  });
});

describe('roomFor', () => {
  it('lets the queue run the plan’s parts in flight, within the byte budget, and one part before any measure', () => {
    for (const rate of [8, 40, 100, 200, 10_000]) expect(roomFor(mbit(rate))).toEqual({ parts: linkPlan(mbit(rate)).inFlight, bytes: budgetFor(mbit(rate)) });
    expect(roomFor(null)).toEqual({ parts: 1, bytes: budgetFor(mbit(8)) });
  });
});

describe('outpacedPut', () => {
  it('stops a whole-file PUT that would take longer than the bound, when the plan for its pace sends the file in parts', () => {
    // Planned at loopback (one PUT up to 256 MiB), going at 8 Mbit/s: 256 MiB would take 4.5 min.
    expect(outpacedPut(SINGLE_PUT_MAX, mbit(8))).toBe(true);
    expect(outpacedPut(16 * MiB, mbit(8))).toBe(true);
    // Within 10 s of its pace: a cut costs no more than the bound.
    expect(outpacedPut(9 * MiB, mbit(8))).toBe(false);
    expect(outpacedPut(SINGLE_PUT_MAX, mbit(400))).toBe(false);
    // The plan for that pace would send it whole too (one wave of parts): nothing to gain.
    expect(outpacedPut(linkPlan(mbit(8)).singlePutMax, mbit(2))).toBe(false);
    for (const rate of [2, 8, 40, 200, 400, 1000]) {
      const size = budgetFor(mbit(rate)) + 1;
      expect(outpacedPut(size, mbit(rate)), `${rate} Mbit/s`).toBe(size > linkPlan(mbit(rate)).singlePutMax);
    }
  });
});
