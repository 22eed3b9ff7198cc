/**
 * What the browser measures of a file and the server takes as an item's details: the ranges a
 * duration and a size may have, and the thumbnail's bounds. Shared, so the browser sends only
 * what the server accepts (a figure outside them is dropped, not refused).
 */

/** A video's duration in seconds: more than 0, at most 48 hours (a day's live stream twice). */
export const MAX_DURATION_SECONDS = 48 * 3600;
/** A side in pixels: 1 to 32,768 (the largest a browser's decoders and canvases handle). */
export const MAX_DIMENSION = 32_768;
/** A thumbnail's longer side, in pixels. */
export const THUMBNAIL_EDGE = 480;
/** The largest thumbnail or cover the browser makes, and the thumbnail kind's limit on the server. */
export const MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024;

/** True when `seconds` is a duration an item may have. */
export const isDuration = (seconds: unknown): seconds is number => typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_DURATION_SECONDS;
/** True when `pixels` is a width or height an item may have. */
export const isDimension = (pixels: unknown): pixels is number => Number.isInteger(pixels) && (pixels as number) >= 1 && (pixels as number) <= MAX_DIMENSION;
