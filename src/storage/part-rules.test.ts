import { describe, expect, it } from 'vitest';
import { MULTIPART_LIMITS } from './driver.ts';
import { partSizeProblem } from './part-rules.ts';

const MiB = 1024 ** 2;
const floor = { minPartSize: MULTIPART_LIMITS.minPartSize };

describe('partSizeProblem (R2 rule, and S3 floor when asked)', () => {
  it.each([
    [[5 * MiB, 5 * MiB, 1], floor, null],
    [[1], floor, null],
    [[6 * MiB, 6 * MiB], floor, null],
    [[10, 10, 3], {}, null],
    [[MiB, MiB], floor, 'entity_too_small'],
    [[MiB, MiB], {}, null],
    [[5 * MiB, 6 * MiB, 1], floor, 'invalid_part'],
    [[5 * MiB, 5 * MiB + 1], floor, 'invalid_part'],
    [[10, 11, 3], {}, 'invalid_part'],
    [[10, 11], {}, 'invalid_part'],
    [[], floor, 'invalid_part'],
    [[], {}, 'invalid_part'],
  ])('%j with %j → %s', (sizes, options, code) => {
    const parts = sizes.map((size, i) => ({ partNumber: i + 1, size }));
    const problem = partSizeProblem(parts, options);
    if (code === null) expect(problem).toBeNull();
    else expect(problem).toMatchObject({ code });
  });

  it('names the part that breaks the rule and the one it differs from', () => {
    const parts = (...sizes: number[]) => sizes.map((size, i) => ({ partNumber: i + 1, size }));
    expect(partSizeProblem(parts(10, 11, 3))?.message).toBe(
      'part 2 is 11 bytes but part 1 is 10: every part but the last must have the same size, and the last no larger.',
    );
    expect(partSizeProblem(parts(10, 11))?.message).toContain('part 2 is 11 bytes but part 1 is 10');
    expect(partSizeProblem(parts(MiB, MiB, 1), floor)?.message).toBe(`part 1 is ${MiB} bytes: every part but the last must be at least ${5 * MiB} bytes.`);
    expect(partSizeProblem([])?.message).toBe('no parts were listed.');
  });
});
