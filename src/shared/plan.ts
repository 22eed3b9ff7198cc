/**
 * How a file is cut for upload, by default: shared by the server, which picks the plan, and
 * the engine, which sends it (and may ask for parts of its own).
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
 */
export const SINGLE_PUT_MAX = DEFAULT_CONCURRENCY * DEFAULT_PART_SIZE;
