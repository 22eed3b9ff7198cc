import { describe, expect, it } from 'vitest';
import { partRanges, storedEtags } from './part-plan.ts';

const MiB = 1024 * 1024;

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
});

describe('storedEtags', () => {
  it('keeps only parts stored whole', () => {
    const ranges = partRanges(25, 10, 3);
    const stored = [
      { part_number: 1, size: 10, etag: '"a"' },
      { part_number: 2, size: 4, etag: '"cut"' },
      { part_number: 3, size: 5, etag: '"c"' },
      { part_number: 9, size: 10, etag: '"stray"' },
    ];
    expect([...storedEtags(ranges, stored)]).toEqual([
      [1, '"a"'],
      [3, '"c"'],
    ]);
  });
});
