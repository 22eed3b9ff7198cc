/**
 * How a file is cut for upload: the default sizes and the bytes of each part, shared by the
 * server, which picks the plan and signs each part for its length, and the engine, which
 * sends it (and may ask for parts of its own).
 */
const MiB = 1024 ** 2;

/** Parts of 64 MiB: few requests per GB, and a cut or a reload loses at most this much per part in flight. */
export const DEFAULT_PART_SIZE = 64 * MiB;

/** Parts in flight at once in the engine. */
export const DEFAULT_CONCURRENCY = 4;

/**
 * Files up to one wave of parallel parts (256 MiB) go in one PUT of the whole file. Such a
 * file would have all its parts in flight at once, so a cut or a reload would lose as much of
 * it in parts as in one PUT; and Chromium sends a whole `File` from disk in its network
 * service, while every part (a `slice()`) is read through the browser process, about
 * 1.5 CPU-s per GB more. If that PUT fails, the engine sends the file in parts from then on.
 * On a link where that cost limits the speed, the engine asks for more (client/link-plan.ts).
 */
export const SINGLE_PUT_MAX = DEFAULT_CONCURRENCY * DEFAULT_PART_SIZE;

/** One part of a plan, as the store numbers it, and the bytes of the file it holds. */
export interface PartRange {
  /** 1-based, as S3 numbers parts. */
  number: number;
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * The bytes of part `number` (1-based) of a file of `size` bytes cut into `partCount` parts of
 * `partSize`: every part is `partSize` bytes but the last, which holds the rest (R2's
 * equal-size rule). The server signs each part for exactly this length and the engine sends
 * exactly these bytes. Throws a `RangeError` when the plan does not cover the file exactly
 * (sending it would fail at completion, after all the bytes) or has no such part.
 */
export function partRange(size: number, partSize: number, partCount: number, number: number): PartRange {
  checkPlan(size, partSize, partCount);
  if (!Number.isInteger(number) || number < 1 || number > partCount) throw new RangeError(`Part ${number} is not one of the plan's ${partCount} parts.`);
  return { number, start: (number - 1) * partSize, end: Math.min(size, number * partSize) };
}

/** Every part's range, in order (see `partRange`). */
export function partRanges(size: number, partSize: number, partCount: number): PartRange[] {
  checkPlan(size, partSize, partCount);
  return Array.from({ length: partCount }, (_, index) => partRange(size, partSize, partCount, index + 1));
}

function checkPlan(size: number, partSize: number, partCount: number): void {
  const exact = size === 0 ? partCount === 1 : partSize > 0 && partCount === Math.ceil(size / partSize);
  if (!exact) throw new RangeError(`${partCount} parts of ${partSize} bytes do not cover a file of ${size} bytes.`);
}
