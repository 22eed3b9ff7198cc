import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_PART_SIZE, partRanges } from '../shared/plan.ts';
import { NetworkError, SplitIntoParts, StoreRefused, UploadFailed } from './errors.ts';
import { PartQueue } from './part-queue.ts';
import { PartsSender } from './parts-sender.ts';
import { fakeSendContext, ok, type PutScript } from './send-context.fixture.ts';

const MiB = 1024 ** 2;
const signal = new AbortController().signal;

function multipart(size: number, partSize: number, put: PutScript, stored: { part_number: number; size: number; etag: string }[] = []) {
  const { ctx, log } = fakeSendContext({ size, put });
  const sender = new PartsSender(ctx, { multipart: true, ranges: partRanges(size, partSize, Math.ceil(size / partSize)), stored });
  return { sender, log };
}

function single(size: number, put: PutScript) {
  const { ctx, log } = fakeSendContext({ size, put });
  const signed = { part_number: 1, url: 'https://store/u1/whole', headers: {}, expires_at: new Date(Date.now() + 3_600_000).toISOString() };
  const sender = new PartsSender(ctx, { multipart: false, ranges: partRanges(size, size, 1), stored: [], signed });
  return { sender, log, ctx };
}

describe('PartsSender', () => {
  it('sends only the parts the store lacks, and completes with every part’s ETag in order', async () => {
    const { sender, log } = multipart(25, 10, (call) => ok(`"${new URL(call.url).pathname.split('/').pop()}"`), [{ part_number: 2, size: 10, etag: '"held"' }]);
    expect(sender.parts.map((part) => [part.number, part.sent, part.done])).toEqual([
      [1, 0, false],
      [2, 10, true],
      [3, 0, false],
    ]);
    await expect(sender.send(signal)).resolves.toEqual([
      { part_number: 1, etag: '"1"' },
      { part_number: 2, etag: '"held"' },
      { part_number: 3, etag: '"3"' },
    ]);
    expect(log.puts.map((put) => put.body.size).sort()).toEqual([10, 5]);
    expect(log.signed).toEqual([[1, 3]]);
    expect(sender.parts.every((part) => part.done && part.sent === part.end - part.start)).toBe(true);
  });

  it('sends a failed part again from its first byte, by the table’s verdicts (no probe when the transport cannot reach the store)', async () => {
    const { sender, log } = multipart(20, 10, (_, index) => (index === 0 ? new NetworkError('reset') : ok()));
    await sender.send(signal);
    expect(log.puts.map((put) => put.body.size)).toEqual([10, 10, 10]);
    expect(log.requests.every((options) => options.probe === undefined && options.judge === undefined)).toBe(true);
  });

  it('sends a lone part again as soon as the store answers after a cut, not at the end of its backoff', async () => {
    let answers = 0;
    const { ctx, log } = fakeSendContext({
      size: 10,
      put: (_, index) => (index === 0 ? new NetworkError('reset') : ok()),
      // Every backoff a minute long: only the probe can end the wait within the test's time.
      retry: { policy: { retries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 1 },
      reach: async () => {
        answers += 1;
        if (answers === 1) throw new TypeError('Failed to fetch');
      },
    });
    const sender = new PartsSender(ctx, { multipart: true, ranges: partRanges(10, 10, 1), stored: [] });
    await expect(sender.send(signal)).resolves.toEqual([{ part_number: 1, etag: '"etag"' }]);
    expect(log.puts).toHaveLength(2);
    // Asked at the URL the part went to: its store, whatever the app's origin.
    expect(log.reached).toEqual(['https://store/u1/1?v=1', 'https://store/u1/1?v=1']);
  });

  it('starts the next part once a part’s bytes are all sent, while the store’s answer is awaited, and never sends two at once on one place', async () => {
    const { ctx } = fakeSendContext({ size: 30, put: () => ok() });
    ctx.queue = new PartQueue(1);
    const events: string[] = [];
    let sending = 0;
    let most = 0;
    ctx.transport = {
      async put(url, _headers, body, onProgress) {
        const part = new URL(url).pathname.split('/').pop()!;
        const attempt = events.filter((e) => e === `sends ${part}`).length;
        events.push(`sends ${part}`);
        most = Math.max(most, ++sending);
        await new Promise((resolve) => setTimeout(resolve, 30));
        onProgress(body.size);
        sending -= 1;
        // The answer comes after the next part started; part 2's first one is lost.
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`answer ${part}`);
        if (part === '2' && attempt === 0) throw new NetworkError('reset');
        return ok(`"${part}"`);
      },
    };
    const sender = new PartsSender(ctx, { multipart: true, ranges: partRanges(30, 10, 3), stored: [] });
    await expect(sender.send(signal)).resolves.toEqual([1, 2, 3].map((n) => ({ part_number: n, etag: `"${n}"` })));
    expect(events.slice(0, 3)).toEqual(['sends 1', 'sends 2', 'answer 1']);
    expect(events.filter((e) => e === 'sends 2')).toHaveLength(2);
    expect(most).toBe(1);
  });

  it('signs a part afresh when the store refuses its URL', async () => {
    const { sender, log } = multipart(10, 10, (_, index) => (index === 0 ? { status: 403, etag: null } : ok()));
    await sender.send(signal);
    expect(log.signed).toEqual([[1], [1]]);
    expect(log.puts.map((put) => new URL(put.url).searchParams.get('v'))).toEqual(['1', '2']);
  });

  it('takes a 412 to a whole-file PUT retried after a lost answer as stored, and goes on to complete', async () => {
    // The first PUT stored the file but its answer was lost; the create-only retry is refused: already there.
    const { sender, log } = single(100, (_, index) => (index === 0 ? new NetworkError('reset') : { status: 412, etag: null }));
    await expect(sender.send(signal)).resolves.toEqual([]);
    expect(log.puts).toHaveLength(2);
    expect(sender.parts[0]).toMatchObject({ done: true, sent: 100 });
  });

  it('does not take a 412 to a part as stored', async () => {
    const { sender } = multipart(10, 10, () => ({ status: 412, etag: null }));
    await expect(sender.send(signal)).rejects.toBeInstanceOf(UploadFailed);
  });

  it('fails, saying what to fix, when the store hides the ETag of a part', async () => {
    const { sender } = multipart(10, 10, () => ok(null));
    const failure = await sender.send(signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailed);
    expect(failure).toMatchObject({ healable: false, message: expect.stringContaining('ExposeHeaders') });
  });

  it('sends a plain single PUT as a plan of one part, on the URL the server handed out, and completes with no parts', async () => {
    const { sender, log } = single(10, () => ok(null));
    await expect(sender.send(signal)).resolves.toEqual([]);
    expect(log.signed).toEqual([]);
    expect(log.puts).toHaveLength(1);
    expect(log.puts[0]!.url).toBe('https://store/u1/whole');
    expect(log.puts[0]!.headers['Content-Range']).toBeUndefined();
  });

  it('gives way to parts when the whole-file PUT of a file larger than a part fails in a way that can heal', async () => {
    const { sender, log } = single(DEFAULT_PART_SIZE + 1, () => new NetworkError('reset'));
    await expect(sender.send(signal)).rejects.toBeInstanceOf(SplitIntoParts);
    expect(log.puts).toHaveLength(1);
    expect(sender.parts[0]!.sent).toBe(0);
  });

  /** A whole-file PUT whose transport reports `rate` bytes/s over 2.5 s of a fake clock, then either ends or waits to be stopped. */
  async function pacedSingle(size: number, rate: number) {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const { sender, log, ctx } = single(size, () => ok());
      let stoppedWith: unknown;
      ctx.transport = {
        put: (url, headers, body, onProgress, putSignal) =>
          new Promise((resolve, reject) => {
            log.puts.push({ url, headers, body });
            putSignal.addEventListener('abort', () => reject((stoppedWith = putSignal.reason)), { once: true });
            onProgress(64 * 1024);
            for (let i = 0; i < 5; i += 1) {
              vi.advanceTimersByTime(500);
              onProgress(64 * 1024 + ((i + 1) * 500 * rate) / 1000);
            }
            if (!putSignal.aborted) resolve(ok());
          }),
      };
      const outcome = await sender.send(signal).catch((error: unknown) => error);
      return { sender, log, outcome, stoppedWith };
    } finally {
      vi.useRealTimers();
    }
  }

  it('stops a whole-file PUT going slower than planned after its first 2 s, and gives way to parts planned for the pace it measured', async () => {
    // 64 MiB at 8 Mbit/s would take 67 s: a cut near its end would cost a minute.
    const { sender, log, outcome, stoppedWith } = await pacedSingle(64 * MiB, 1e6);
    expect(outcome).toBeInstanceOf(SplitIntoParts);
    expect(stoppedWith).toBe(outcome);
    expect((outcome as SplitIntoParts).bytesPerSecond).toBeCloseTo(1e6, -2);
    expect(log.puts).toHaveLength(1);
    expect(sender.parts[0]!.sent).toBe(0);
  });

  it('lets a whole-file PUT go on when it ends within 10 s at its pace', async () => {
    // 64 MiB at 80 Mbit/s: 6.7 s.
    const { outcome, stoppedWith, log } = await pacedSingle(64 * MiB, 10e6);
    expect(outcome).toEqual([]);
    expect(stoppedWith).toBeUndefined();
    expect(log.puts).toHaveLength(1);
  });

  it('retries, not splits, the whole-file PUT of a file of one part or less', async () => {
    const { sender, log } = single(10, (_, index) => (index < 2 ? new NetworkError('reset') : ok()));
    await sender.send(signal);
    expect(log.puts).toHaveLength(3);
  });

  it('never splits a multipart upload', async () => {
    const { sender } = multipart(DEFAULT_PART_SIZE + 1, DEFAULT_PART_SIZE, () => ({ status: 413, etag: null }));
    const failure = await sender.send(signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailed);
    expect((failure as UploadFailed).cause).toBeInstanceOf(StoreRefused);
  });

  it('has nothing to send for a completed upload', async () => {
    const { ctx, log } = fakeSendContext({ size: 25, put: () => ok() });
    const sender = new PartsSender(ctx, { multipart: true, ranges: partRanges(25, 10, 3), stored: 'all' });
    expect(sender.parts.every((part) => part.done)).toBe(true);
    await expect(sender.send(signal)).resolves.toEqual([1, 2, 3].map((n) => ({ part_number: n, etag: '' })));
    expect(log.puts).toEqual([]);
  });
});
