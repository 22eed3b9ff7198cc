import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_PART_SIZE } from '../shared/plan.ts';
import { ContinuedPutSender, continuedPutVerdict } from './continued-put-sender.ts';
import { NetworkError, SplitIntoParts, StoreRefused } from './errors.ts';
import { judge, PROBE_INTERVAL_MS, type Verdict } from './retry.ts';
import { fakeSendContext, ok, type PutScript } from './send-context.fixture.ts';

const signal = new AbortController().signal;
const offsetMismatch = { status: 409, etag: null, error: { code: 'offset_mismatch', message: 'The store holds 7 bytes.' } };

function continued(size: number, put: PutScript, { held = 0, heldBytes = () => 0 }: { held?: number; heldBytes?: () => number } = {}) {
  const { ctx, log } = fakeSendContext({ size, put, heldBytes });
  const sender = new ContinuedPutSender(ctx, { range: { number: 1, start: 0, end: size }, held, complete: false });
  return { sender, log };
}

const rangeOf = (headers: Record<string, string>) => headers['Content-Range'];

describe('continuedPutVerdict', () => {
  it.each<[string, unknown, Verdict]>([
    ['a PUT continued from other than the bytes the store holds', new StoreRefused(offsetMismatch), { action: 'retry', reason: 'server', afterMs: 0 }],
    ['another conflict', new StoreRefused({ status: 409, etag: null, error: { code: 'other', message: 'x' } }), judge(new StoreRefused({ status: 409, etag: null, error: { code: 'other', message: 'x' } }))],
    ['a lost connection', new NetworkError('reset'), { action: 'retry', reason: 'network' }],
    ['an expired URL', new StoreRefused({ status: 403, etag: null }), { action: 'resign' }],
  ])('%s', (_, error, verdict) => {
    expect(continuedPutVerdict(error)).toEqual(verdict);
  });
});

describe('ContinuedPutSender', () => {
  it('sends the whole file in one PUT, and completes with no parts', async () => {
    const { sender, log } = continued(10, () => ok());
    await expect(sender.send(signal)).resolves.toEqual([]);
    expect(log.puts.map((put) => [put.body.size, rangeOf(put.headers)])).toEqual([[10, undefined]]);
    expect(log.heldAsked).toBe(0);
    expect(sender.parts[0]).toMatchObject({ done: true, sent: 10 });
  });

  it('takes a 412 (the object is there: an earlier PUT’s answer was lost) as stored', async () => {
    const { sender, log } = continued(10, (_, index) => (index === 0 ? new NetworkError('cut') : { status: 412, etag: null, error: { code: 'precondition_failed', message: 'already stored' } }), { heldBytes: () => 0 });
    await expect(sender.send(signal)).resolves.toEqual([]);
    expect(log.puts).toHaveLength(2);
    expect(sender.parts[0]).toMatchObject({ done: true, sent: 10 });
  });

  it('after a cut, asks the bytes the store kept and sends only the rest, with Content-Range', async () => {
    const { sender, log } = continued(10, (_, index) => (index === 0 ? new NetworkError('cut') : ok()), { heldBytes: () => 6 });
    await sender.send(signal);
    expect(log.heldAsked).toBe(1);
    expect(log.puts.map((put) => [put.body.size, rangeOf(put.headers)])).toEqual([
      [10, undefined],
      [4, 'bytes 6-9/10'],
    ]);
    expect(log.puts[1]!.url).toBe(log.puts[0]!.url);
  });

  it('goes on from the bytes held when the upload was adopted, without asking', async () => {
    const { sender, log } = continued(10, () => ok(), { held: 3 });
    expect(sender.parts[0]!.sent).toBe(3);
    await sender.send(signal);
    expect(log.heldAsked).toBe(0);
    expect(log.puts.map((put) => rangeOf(put.headers))).toEqual(['bytes 3-9/10']);
  });

  it('sends the last byte again when the store holds every byte but no object (a crash before it committed)', async () => {
    const { sender, log } = continued(10, (_, index) => (index === 0 ? new NetworkError('cut') : ok()), { heldBytes: () => 10 });
    await sender.send(signal);
    expect(log.puts.map((put) => [put.body.size, rangeOf(put.headers)])).toEqual([
      [10, undefined],
      [1, 'bytes 9-9/10'],
    ]);
    const adopted = continued(10, () => ok(), { held: 10 });
    await adopted.sender.send(signal);
    expect(adopted.log.puts.map((put) => [put.body.size, rangeOf(put.headers)])).toEqual([[1, 'bytes 9-9/10']]);
  });

  it('asks again at once when the store holds other bytes than it said', async () => {
    const held = [4, 7];
    const { sender, log } = continued(10, (_, index) => [new NetworkError('cut'), offsetMismatch, ok()][index]!, { heldBytes: () => held.shift()! });
    await sender.send(signal);
    expect(log.heldAsked).toBe(2);
    expect(log.puts.map((put) => rangeOf(put.headers))).toEqual([undefined, 'bytes 4-9/10', 'bytes 7-9/10']);
  });

  it('judges with its own verdicts, and waits after a lost connection by probing the app', async () => {
    const { sender, log } = continued(10, () => ok());
    await sender.send(signal);
    const [options] = log.requests;
    expect(options?.judge).toBe(continuedPutVerdict);
    const asked = log.heldAsked;
    await options!.probe!(signal);
    expect(log.heldAsked).toBe(asked + 1);
  });

  it('ends a wait after a lost connection as soon as the app answers the probe', async () => {
    vi.useFakeTimers();
    try {
      const { ctx, log } = fakeSendContext({
        size: 10,
        put: (_, index) => (index === 0 ? new NetworkError('cut') : ok()),
        heldBytes: () => 5,
        retry: { policy: { retries: 3, baseDelayMs: 16_000, maxDelayMs: 16_000 }, random: () => 1 },
      });
      const sender = new ContinuedPutSender(ctx, { range: { number: 1, start: 0, end: 10 }, held: 0, complete: false });
      const sent = sender.send(signal);
      await vi.advanceTimersByTimeAsync(PROBE_INTERVAL_MS - 1);
      expect(log.puts).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await sent;
      // One question for the probe, one for the bytes held.
      expect(log.heldAsked).toBe(2);
      expect(log.puts.map((put) => rangeOf(put.headers))).toEqual([undefined, 'bytes 5-9/10']);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives way to parts only when something refused a request this large', async () => {
    const tooLarge = continued(DEFAULT_PART_SIZE + 1, () => ({ status: 413, etag: null }));
    await expect(tooLarge.sender.send(signal)).rejects.toBeInstanceOf(SplitIntoParts);
    const cut = continued(DEFAULT_PART_SIZE + 1, (_, index) => (index === 0 ? new NetworkError('cut') : ok()), { heldBytes: () => DEFAULT_PART_SIZE });
    await cut.sender.send(signal);
    expect(cut.log.puts.map((put) => put.body.size)).toEqual([DEFAULT_PART_SIZE + 1, 1]);
  });

  it('has nothing to send for a completed upload', async () => {
    const { ctx, log } = fakeSendContext({ size: 10, put: () => ok() });
    const sender = new ContinuedPutSender(ctx, { range: { number: 1, start: 0, end: 10 }, held: 0, complete: true });
    expect(sender.parts[0]).toMatchObject({ done: true, sent: 10 });
    await expect(sender.send(signal)).resolves.toEqual([]);
    expect(log.puts).toEqual([]);
  });
});
