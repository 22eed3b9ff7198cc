/**
 * When a failed delivery is tried again: exponential steps (the first within seconds), each
 * with ±20 % jitter so that many endpoints failing together do not retry in lockstep. After the
 * last step fails the delivery is given up; with the default steps that is over 24 hours after
 * the first attempt, even with every jitter at its shortest.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  30_000,
  2 * 60_000,
  10 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 3600_000,
  4 * 3600_000,
  8 * 3600_000,
  8 * 3600_000,
  8 * 3600_000,
];

const JITTER = 0.2;

/**
 * The wait after failed attempt number `attempt` (1 for the first), or null once the steps are
 * spent: give up. `random` is in [0, 1) (Math.random by default; tests pass their own).
 */
export function retryDelay(attempt: number, delays: readonly number[] = RETRY_DELAYS_MS, random = Math.random): number | null {
  const base = delays[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
