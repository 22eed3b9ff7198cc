import { describe, expect, it } from 'vitest';
import { DEFAULT_PART_SIZE } from '../shared/plan.ts';
import { ApiError, NetworkError, RequestTimeout, StoreRefused } from './errors.ts';
import { bodyOf, splitsIntoParts } from './part-put.ts';

const LARGE = DEFAULT_PART_SIZE + 1;

describe('splitsIntoParts', () => {
  const store = (status: number) => new StoreRefused({ status, etag: null });
  it.each([
    ['a proxy refusing the size', store(413), LARGE, false, true],
    ['a proxy refusing the size, for a PUT that restarts', store(413), LARGE, true, true],
    ['a lost connection, for a PUT that restarts', new NetworkError('reset'), LARGE, true, true],
    ['a stall, for a PUT that restarts', new RequestTimeout('stalled'), LARGE, true, true],
    ['a store failing, for a PUT that restarts', store(503), LARGE, true, true],
    ['a lost connection, for a PUT that goes on from the bytes kept', new NetworkError('reset'), LARGE, false, false],
    ['a refusal that cannot heal', store(400), LARGE, true, false],
    ['an expired URL', store(403), LARGE, true, false],
    ['an API failure', new ApiError(401, 'unauthorized', 'Log in.'), LARGE, true, false],
    ['a file of one part', store(413), DEFAULT_PART_SIZE, true, false],
  ])('%s', (_, error, size, restarts, expected) => {
    expect(splitsIntoParts(error, size, restarts)).toBe(expected);
  });
});

describe('bodyOf', () => {
  const blob = new Blob(['0123456789']);
  it('is the file itself when the part is all of it', () => {
    expect(bodyOf(blob, { number: 1, start: 0, end: 10, sent: 0, done: false })).toBe(blob);
  });

  it.each([
    ['a part', { start: 3, end: 7 }, 0, '3456'],
    ['the rest of a part', { start: 3, end: 7 }, 2, '56'],
    ['the rest of the whole file', { start: 0, end: 10 }, 6, '6789'],
  ])('slices %s', async (_, range, from, expected) => {
    expect(await bodyOf(blob, { number: 1, ...range, sent: 0, done: false }, from).text()).toBe(expected);
  });
});
