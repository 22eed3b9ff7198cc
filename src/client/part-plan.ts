/** The byte range of each part, from the part size and count the server chose (pure). */

export interface PartRange {
  /** 1-based, as S3 numbers parts. */
  number: number;
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * Every part is `partSize` bytes but the last, which holds the rest (R2's equal-size rule).
 * Throws when the server's plan does not cover the file exactly: sending it would fail at
 * completion, after all the bytes.
 */
export function partRanges(size: number, partSize: number, partCount: number): PartRange[] {
  const exact = size === 0 ? partCount === 1 : partSize > 0 && partCount === Math.ceil(size / partSize);
  if (!exact) throw new RangeError(`${partCount} parts of ${partSize} bytes do not cover a file of ${size} bytes.`);
  return Array.from({ length: partCount }, (_, index) => ({
    number: index + 1,
    start: index * partSize,
    end: Math.min(size, (index + 1) * partSize),
  }));
}

/** The ETag of each planned part the store already holds whole (a part of another size is sent again). */
export function storedEtags(ranges: PartRange[], stored: { part_number: number; size: number; etag: string }[]): Map<number, string> {
  const expected = new Map(ranges.map((range) => [range.number, range.end - range.start]));
  return new Map(stored.filter((part) => expected.get(part.part_number) === part.size).map((part) => [part.part_number, part.etag]));
}
