/**
 * How the engine cuts a file for the link it is on (pure). A cut, a pause or a reload loses
 * the bytes of the parts in flight, so parts are sized by their time on the link: each takes
 * about `partSecondsFor` at its share of the rate, and the queue runs no more of them at once
 * than the plan says (`roomFor`). One stream fills a slow link, with no round trip idle
 * between its parts (a part hands its place over once its bytes are sent: part-queue.ts);
 * more only help where they raise the rate (a fast link's CPU), so parts in flight grow with
 * the rate. From 400 Mbit/s the plan is the CPU-tuned one of shared/plan.ts (`CPU_PLAN_RATE`),
 * and from 800 Mbit/s one PUT for files up to 10 s of the link (`CPU_BOUND_RATE`).
 */
import { DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, SINGLE_PUT_MAX } from '../shared/plan.ts';
import type { Room } from './part-queue.ts';

const MiB = 1024 ** 2;
/** The store's smallest part but the last (S3's and R2's rule). */
const MIN_PART_SIZE = 5 * MiB;

/**
 * A part's time in flight at its share of the link, by parts in flight; a cut loses about
 * half of each part in flight (above the store's 5 MiB floor). A lone part hands its place
 * over while its answer is awaited, so short ones cost no idle round trip: 1 s. Several
 * overlap one another's round trips, and on a fast link larger parts cost the CPU and the
 * store less per byte: 2 s each at its share, about a second of the link lost per cut in all.
 * bench:links, S3 at 40 Mbit/s with three 3 s cuts of a 64 MiB file: 48 MiB sent again and
 * 33.2 s with four 5 MiB parts at once, 18 MiB and 28.3 s with two, 3 MiB and 25 s with one
 * handing its place over (tus: 26 s).
 */
const partSecondsFor = (inFlight: number): number => (inFlight === 1 ? 1 : 2);

/** The rate assumed before any is measured: a slow link (8 Mbit/s), so the first upload is safe everywhere. */
export const UNMEASURED_RATE = 1e6;

export interface LinkPlan {
  /** The part size to ask the server for (whole MiB, 5 to 64 MiB). */
  partSize: number;
  /** Parts in flight at once. */
  inFlight: number;
  /** Files up to this size go in one PUT, which a cut loses as whole: one wave of parts, or 10 s of a CPU-bound link. */
  singlePutMax: number;
}

/**
 * From this rate (400 Mbit/s) the CPU-tuned plan of shared/plan.ts: a whole wave of its parts
 * (4 × 64 MiB) is under 6 s of the link, within the goal, and the fewest, largest parts cost
 * the browser, the store and the bill (R2 counts every part) the least. On loopback, where
 * Chromium and the store share the CPU, the engine measures 54 MiB/s and more: with parts of
 * 2 s there, they came to 27 to 61 MiB from run to run, and a 256 MiB file went in parts one
 * run and whole the next (npm run bench).
 */
export const CPU_PLAN_RATE = 50e6;

/** A measured rate in bytes/s, or the slow link's before any is known. */
const rateOrUnmeasured = (bytesPerSecond: number | null): number => (bytesPerSecond && bytesPerSecond > 0 ? bytesPerSecond : UNMEASURED_RATE);

/** Parts in flight for a rate in bytes/s: one below 80 Mbit/s, then the engine's four. */
export function inFlightFor(bytesPerSecond: number): number {
  return bytesPerSecond < 10e6 ? 1 : DEFAULT_CONCURRENCY;
}

/** What the parts in flight may hold together, in seconds of the link: the goal's bound, a ceiling for a rate that drops while they go. */
export const BUDGET_SECONDS = 10;

/**
 * From this rate (800 Mbit/s) Chromium's CPU, not the link, is what limits a file in parts:
 * every part (a `slice()`) is read through its browser process, about 3 CPU-s per GB more than
 * a whole `File`, which its network service sends from disk. On loopback the 1 GiB file went
 * at 117 to 150 MB/s in 64 MiB parts and 200 to 217 in one PUT (npm run bench). From here a
 * file goes in one PUT while it takes at most the bound (`BUDGET_SECONDS`) of the link, as far
 * as 5 GiB (S3's and R2's limit): a cut then costs no more than the goal allows. Below it the
 * link is the limit, and parts lose less to a cut at no cost in speed.
 */
const CPU_BOUND_RATE = 100e6;

/** One wave of parts, or on a CPU-bound link the files it sends within the bound. */
const singlePutMaxFor = (rate: number): number => (rate >= CPU_BOUND_RATE ? Math.max(SINGLE_PUT_MAX, budgetFor(rate)) : SINGLE_PUT_MAX);

/** The plan for a measured rate in bytes/s, or for a slow link when none is known. */
export function linkPlan(bytesPerSecond: number | null): LinkPlan {
  const rate = rateOrUnmeasured(bytesPerSecond);
  if (rate >= CPU_PLAN_RATE) return { partSize: DEFAULT_PART_SIZE, inFlight: DEFAULT_CONCURRENCY, singlePutMax: singlePutMaxFor(rate) };
  const inFlight = inFlightFor(rate);
  const share = Math.floor((rate / inFlight) * partSecondsFor(inFlight) / MiB) * MiB;
  const partSize = Math.min(DEFAULT_PART_SIZE, Math.max(MIN_PART_SIZE, share));
  return { partSize, inFlight, singlePutMax: Math.min(SINGLE_PUT_MAX, partSize * inFlight) };
}

/** The bytes the queue may have in flight at a live rate (it always runs one part, however large). */
export function budgetFor(bytesPerSecond: number | null): number {
  return Math.floor(rateOrUnmeasured(bytesPerSecond) * BUDGET_SECONDS);
}

/** What the queue may have in flight at a live rate: the plan's parts, within the byte budget. */
export function roomFor(bytesPerSecond: number | null): Room {
  const rate = rateOrUnmeasured(bytesPerSecond);
  return { parts: inFlightFor(rate), bytes: budgetFor(rate) };
}

/** The span of a whole-file PUT after which its own pace is known (as the link meter's first measure). */
export const PACE_SPAN_MS = 2000;

/**
 * Whether a whole-file PUT going at `bytesPerSecond` should give way to parts: it would take
 * longer than the goal's bound, so a cut near its end would cost more, and the plan for that
 * rate sends such a file in parts. It was planned on a faster rate: one remembered from
 * another network, or a link that slowed since. Giving way after `PACE_SPAN_MS` costs those
 * seconds of the link, once.
 */
export function outpacedPut(size: number, bytesPerSecond: number): boolean {
  return size > bytesPerSecond * BUDGET_SECONDS && size > linkPlan(bytesPerSecond).singlePutMax;
}

/** How long a part of `bytes` should take in flight, in ms, at its share of the link. */
export function expectedSendMs(bytes: number, bytesPerSecond: number | null): number {
  const rate = rateOrUnmeasured(bytesPerSecond);
  return Math.ceil((bytes * inFlightFor(rate) * 1000) / rate);
}
