import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../context.ts';
import { sweep, type SweepResult } from './sweep.ts';

export interface SweepSchedule {
  /** Stops the schedule and asks a running sweep to stop at its next step; resolves once it has. */
  stop(): Promise<void>;
}

/** The first periodic sweep waits this long after start (or the interval, if shorter): start-up stays quick. */
const FIRST_SWEEP_DELAY_MS = 60_000;

const anythingDone = (r: SweepResult) => r.expiredTickets + r.unsavedUploads + r.finishedCleanups + r.orphanMultipart + r.failedCleanups + r.expiredSessions + r.expiredSetupTokens + r.voidedKeys + r.settledDeliveries > 0;

/**
 * Sweeps every `intervalS` seconds (0: never), the next sweep timed from the end of the last so
 * two never overlap in one process; the lease keeps other instances out. The timer does not
 * keep the process alive.
 */
export function scheduleSweeps(ctx: AppContext, log: FastifyBaseLogger, intervalS = ctx.config.sweepInterval): SweepSchedule {
  if (intervalS === 0) return { stop: async () => undefined };
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const next = (delayMs: number) => {
    timer = setTimeout(() => {
      running = sweep(ctx, new Date(), { signal: stopping.signal })
        .then(
          (result) => {
            if (result && anythingDone(result)) log.info(result, 'swept abandoned uploads');
            if (result?.stoppedEarly && !stopping.signal.aborted) log.warn('the sweep lost its lease and stopped; the next sweep continues');
          },
          (error: unknown) => log.warn({ err: error }, 'sweep failed; will retry'),
        )
        .finally(() => {
          if (!stopping.signal.aborted) next(intervalS * 1000);
        });
    }, delayMs);
    timer.unref();
  };
  next(Math.min(FIRST_SWEEP_DELAY_MS, intervalS * 1000));

  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
