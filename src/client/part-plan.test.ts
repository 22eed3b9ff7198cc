import { describe, expect, it } from 'vitest';
import { partRanges } from '../shared/plan.ts';
import { storedEtags } from './part-plan.ts';

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
