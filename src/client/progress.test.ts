import { describe, expect, it } from 'vitest';
import { percentOf, secondsLeft, snapshot, SpeedMeter } from './progress.ts';

describe('percentOf', () => {
  it.each([
    [0, 100, 0],
    [1, 3, 33],
    [2, 3, 66],
    [999, 1000, 99],
    [1000, 1000, 100],
    [5, 0, 0],
    [120, 100, 100],
  ])('%i of %i is %i%', (loaded, total, percent) => {
    expect(percentOf(loaded, total)).toBe(percent);
  });
});

describe('secondsLeft', () => {
  it.each([
    [1000, 100, 10],
    [1001, 100, 11],
    [0, 100, 0],
    [1000, null, null],
    [1000, 0, null],
    [-5, null, 0],
  ])('%i bytes at %j B/s take %j s', (remaining, speed, seconds) => {
    expect(secondsLeft(remaining, speed)).toBe(seconds);
  });
});

describe('SpeedMeter', () => {
  const feed = (meter: SpeedMeter, samples: [number, number][]) => {
    for (const [at, loaded] of samples) meter.add(at, loaded);
    return meter.bytesPerSecond();
  };

  it.each<[string, [number, number][], number | null]>([
    ['nothing yet', [], null],
    ['a span too short to tell', [[0, 0], [200, 5000]], null],
    ['a steady 1 MB/s', [[0, 0], [500, 500_000], [1000, 1_000_000]], 1_000_000],
    ['only the last 5 s count', [[0, 0], [1000, 9_000_000], [6000, 10_000_000], [7000, 11_000_000]], 1_000_000],
    ['a drop (a part restarted) starts over', [[0, 0], [1000, 1_000_000], [1100, 200_000], [2100, 2_200_000]], 2_000_000],
    ['a gap longer than the window (a pause) starts over', [[0, 0], [1000, 1_000_000], [60_000, 1_000_000], [60_400, 1_400_000]], null],
  ])('%s', (_, samples, expected) => {
    expect(feed(new SpeedMeter(5000, 500), samples)).toBe(expected);
  });

  it('forgets everything on reset', () => {
    const meter = new SpeedMeter();
    feed(meter, [[0, 0], [1000, 1000]]);
    meter.reset();
    expect(meter.bytesPerSecond()).toBeNull();
  });
});

describe('snapshot', () => {
  it('derives percent and time left from bytes and speed', () => {
    expect(snapshot(25, 100, { done: 1, count: 4 }, 5)).toEqual({
      loaded: 25,
      total: 100,
      percent: 25,
      bytesPerSecond: 5,
      secondsLeft: 15,
      partsDone: 1,
      partCount: 4,
    });
  });
});
