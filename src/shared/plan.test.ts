import { describe, expect, it } from 'vitest';
import { partRange, partRanges } from './plan.ts';

const MiB = 1024 * 1024;

describe('partRange', () => {
  it.each([
    ['a single PUT', 10, 10, 1, 1, [0, 10]],
    ['an empty file', 0, 0, 1, 1, [0, 0]],
    ['the first of equal parts', 30 * MiB, 10 * MiB, 3, 1, [0, 10 * MiB]],
    ['the last of equal parts', 30 * MiB, 10 * MiB, 3, 3, [20 * MiB, 30 * MiB]],
    ['a middle part', 25 * MiB, 10 * MiB, 3, 2, [10 * MiB, 20 * MiB]],
    ['a shorter last part', 25 * MiB, 10 * MiB, 3, 3, [20 * MiB, 25 * MiB]],
    ['a last part of one byte', 20 * MiB + 1, 10 * MiB, 3, 3, [20 * MiB, 20 * MiB + 1]],
    ['the 10,000th part', 10_000 * 5 * MiB - 7, 5 * MiB, 10_000, 10_000, [9999 * 5 * MiB, 10_000 * 5 * MiB - 7]],
  ])('%s', (_, size, partSize, count, number, [start, end]) => {
    expect(partRange(size, partSize, count, number)).toEqual({ number, start, end });
  });

  it.each([
    ['too few parts', 25, 10, 2, 1],
    ['too many parts', 25, 10, 4, 1],
    ['a zero part size', 25, 0, 1, 1],
    ['no parts', 0, 0, 0, 1],
    ['part 0', 25, 10, 3, 0],
    ['a part past the last', 25, 10, 3, 4],
    ['a fractional part number', 25, 10, 3, 1.5],
  ])('refuses %s', (_, size, partSize, count, number) => {
    expect(() => partRange(size, partSize, count, number)).toThrow(RangeError);
  });
});

describe('partRanges', () => {
  it.each([
    ['a single PUT', 10, 10, 1, [[1, 0, 10]]],
    ['an empty file', 0, 0, 1, [[1, 0, 0]]],
    ['equal parts', 30 * MiB, 10 * MiB, 3, [[1, 0, 10 * MiB], [2, 10 * MiB, 20 * MiB], [3, 20 * MiB, 30 * MiB]]],
    ['a shorter last part', 25 * MiB, 10 * MiB, 3, [[1, 0, 10 * MiB], [2, 10 * MiB, 20 * MiB], [3, 20 * MiB, 25 * MiB]]],
    ['a last part of one byte', 20 * MiB + 1, 10 * MiB, 3, [[1, 0, 10 * MiB], [2, 10 * MiB, 20 * MiB], [3, 20 * MiB, 20 * MiB + 1]]],
  ])('%s', (_, size, partSize, count, expected) => {
    expect(partRanges(size, partSize, count).map((r) => [r.number, r.start, r.end])).toEqual(expected);
  });

  it.each([
    ['too few parts', 25, 10, 2],
    ['too many parts', 25, 10, 4],
    ['a zero part size', 25, 0, 1],
    ['no parts', 0, 0, 0],
  ])('refuses %s', (_, size, partSize, count) => {
    expect(() => partRanges(size, partSize, count)).toThrow(RangeError);
  });

  it('covers every file exactly, without gaps or overlaps, in parts of the plan size but the last', () => {
    for (const partSize of [1, 7, 5 * MiB]) {
      for (const size of [1, partSize - 1, partSize, partSize + 1, 3 * partSize, 3 * partSize + 2].filter((n) => n > 0)) {
        const ranges = partRanges(size, partSize, Math.ceil(size / partSize));
        expect(ranges[0]!.start).toBe(0);
        expect(ranges.at(-1)!.end).toBe(size);
        for (const [index, range] of ranges.entries()) {
          expect(range.number).toBe(index + 1);
          if (index > 0) expect(range.start).toBe(ranges[index - 1]!.end);
          const length = range.end - range.start;
          if (index < ranges.length - 1) expect(length).toBe(partSize);
          else expect(length).toBeGreaterThan(0);
        }
      }
    }
  });
});
