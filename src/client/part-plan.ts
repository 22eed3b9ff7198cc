/** Which parts of the server's plan (`partRanges` in shared/plan.ts) the store holds already (pure). */
import type { PartRange } from '../shared/plan.ts';

/** The ETag of each planned part the store already holds whole (a part of another size is sent again). */
export function storedEtags(ranges: PartRange[], stored: { part_number: number; size: number; etag: string }[]): Map<number, string> {
  const expected = new Map(ranges.map((range) => [range.number, range.end - range.start]));
  return new Map(stored.filter((part) => expected.get(part.part_number) === part.size).map((part) => [part.part_number, part.etag]));
}
