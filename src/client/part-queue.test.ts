import { describe, expect, it } from 'vitest';
import { allOrNothing, PartQueue } from './part-queue.ts';

/** A task that records when it runs and finishes when told. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('PartQueue', () => {
  it('runs at most `limit` tasks at once, the waiting ones by priority then arrival', async () => {
    const queue = new PartQueue(2);
    const signal = new AbortController().signal;
    const started: string[] = [];
    let running = 0;
    let peak = 0;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const task = (priority: number, name: string) => {
      gates.set(name, gate());
      return queue.run(priority, signal, async () => {
        started.push(name);
        peak = Math.max(peak, ++running);
        await gates.get(name)!.opened;
        running -= 1;
      });
    };
    const all = [task(1, 'b1'), task(1, 'b2'), task(1, 'b3'), task(0, 'a1'), task(2, 'c1'), task(0, 'a2')];
    for (const name of ['b1', 'b2', 'a1', 'a2', 'b3', 'c1']) {
      await Promise.resolve();
      gates.get(name)!.open();
      await new Promise((resolve) => setTimeout(resolve));
    }
    await Promise.all(all);
    expect(started).toEqual(['b1', 'b2', 'a1', 'a2', 'b3', 'c1']);
    expect(peak).toBe(2);
  });

  it('drops a waiting task whose signal aborts, and frees nothing it did not take', async () => {
    const queue = new PartQueue(1);
    const first = gate();
    const running = queue.run(0, new AbortController().signal, () => first.opened);
    const controller = new AbortController();
    const waiting = queue.run(0, controller.signal, async () => 'never');
    controller.abort(new Error('paused'));
    await expect(waiting).rejects.toThrow('paused');
    first.open();
    await running;
    await expect(queue.run(0, new AbortController().signal, async () => 'next')).resolves.toBe('next');
  });

  it('refuses a limit below one', () => {
    expect(() => new PartQueue(0)).toThrow(RangeError);
  });
});

describe('allOrNothing', () => {
  it('aborts the other tasks on the first failure and rethrows it once all settled', async () => {
    const failure = new Error('part 2 failed');
    const settled: string[] = [];
    const waitForAbort = (signal: AbortSignal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => {
        settled.push('aborted');
        reject(signal.reason);
      }));
    const run = allOrNothing([waitForAbort, async () => { throw failure; }, waitForAbort], new AbortController().signal);
    await expect(run).rejects.toBe(failure);
    expect(settled).toEqual(['aborted', 'aborted']);
  });

  it('passes the outer abort reason to every task', async () => {
    const controller = new AbortController();
    const reasons: unknown[] = [];
    const task = (signal: AbortSignal) => new Promise((_, reject) => signal.addEventListener('abort', () => {
      reasons.push(signal.reason);
      reject(signal.reason);
    }));
    const run = allOrNothing([task, task], controller.signal);
    const pause = new Error('pause');
    controller.abort(pause);
    await expect(run).rejects.toBe(pause);
    expect(reasons).toEqual([pause, pause]);
  });
});

describe('PartQueue with a byte budget', () => {
  it('keeps the bytes in flight within the budget, always runs one part however large, and starts more as the budget grows', async () => {
    let budget = 10;
    const queue = new PartQueue(4, () => ({ parts: Infinity, bytes: budget }));
    const signal = new AbortController().signal;
    const running = new Set<string>();
    const gates = new Map<string, ReturnType<typeof gate>>();
    const task = (name: string, bytes: number) => {
      gates.set(name, gate());
      return queue.run(0, signal, async () => {
        running.add(name);
        await gates.get(name)!.opened;
        running.delete(name);
      }, bytes);
    };
    const settle = () => new Promise((resolve) => setTimeout(resolve));
    const all = [task('big', 25), task('a', 6), task('b', 6), task('c', 6)];
    await settle();
    expect([...running]).toEqual(['big']);
    gates.get('big')!.open();
    await settle();
    expect([...running]).toEqual(['a']);
    budget = 20;
    queue.refill();
    await settle();
    expect([...running].sort()).toEqual(['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) gates.get(name)!.open();
    await Promise.all(all);
  });
});

describe('PartQueue with the parts the link fills', () => {
  it('runs no more parts at once than the link has room for, under its own limit, and more as the room grows', async () => {
    let parts = 1;
    const queue = new PartQueue(4, () => ({ parts, bytes: Infinity }));
    const signal = new AbortController().signal;
    let running = 0;
    let most = 0;
    const gates: ReturnType<typeof gate>[] = [];
    const task = () => {
      const g = gate();
      gates.push(g);
      return queue.run(0, signal, async () => {
        running += 1;
        most = Math.max(most, running);
        await g.opened;
        running -= 1;
      }, 1);
    };
    const settle = () => new Promise((resolve) => setTimeout(resolve));
    const all = Array.from({ length: 8 }, task);
    await settle();
    expect(running).toBe(1);
    parts = 2;
    queue.refill();
    await settle();
    expect(running).toBe(2);
    parts = 10;
    queue.refill();
    await settle();
    expect(running).toBe(4);
    for (const g of gates) g.open();
    await Promise.all(all);
    expect(most).toBe(4);
  });
});

describe('PartQueue places handed over', () => {
  it('starts the next task when one hands its place over, and takes one again ahead of the tasks of its priority that wait', async () => {
    const queue = new PartQueue(1);
    const signal = new AbortController().signal;
    const events: string[] = [];
    const answer = gate();
    const again = gate();
    const settle = () => new Promise((resolve) => setTimeout(resolve));
    const first = queue.run(0, signal, async (p) => {
      events.push('first sends');
      p.handOver();
      p.handOver(); // once only: the second call frees nothing more
      await answer.opened;
      // Its answer was lost: it takes a place again before it sends anew.
      await p.retake(signal);
      events.push('first sends again');
    });
    const later = (name: string) => queue.run(0, signal, async () => {
      events.push(name);
      if (name === 'second') await again.opened;
    });
    const second = later('second');
    const third = later('third');
    await settle();
    expect(events).toEqual(['first sends', 'second']);
    answer.open();
    await settle();
    // The first waits for the second's place, and goes before the third.
    expect(events).toEqual(['first sends', 'second']);
    again.open();
    await Promise.all([first, second, third]);
    expect(events).toEqual(['first sends', 'second', 'first sends again', 'third']);
    await expect(queue.run(0, signal, async () => 'free')).resolves.toBe('free');
  });

  it('keeps the place of a task that hands it over while the queue runs several at once', async () => {
    const queue = new PartQueue(4, () => ({ parts: 2, bytes: Infinity }));
    const signal = new AbortController().signal;
    let running = 0;
    let most = 0;
    const answers = gate();
    const tasks = Array.from({ length: 4 }, () =>
      queue.run(0, signal, async (place) => {
        most = Math.max(most, ++running);
        place.handOver();
        await answers.opened;
        running -= 1;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve));
    expect(running).toBe(2);
    answers.open();
    await Promise.all(tasks);
    expect(most).toBe(2);
  });
});

