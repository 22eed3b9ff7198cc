import { describe, expect, it } from 'vitest';
import { continuedFrom, parseRange } from './ranges.ts';

describe('parseRange', () => {
  it.each([
    [undefined, null],
    ['bytes=10-19', { start: 10, end: 19 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-1000', { start: 0, end: 99 }],
    ['bytes=95-1000', { start: 95, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=20-10', null],
    ['bytes=0-1,5-6', null],
    ['bytes=-', null],
    ['pages=1-2', null],
  ] as const)('%s of 100 bytes → %j', (header, range) => {
    expect(parseRange(header, 100)).toEqual(range);
  });

  it('has nothing to serve of an empty object but the whole of it', () => {
    expect(parseRange('bytes=-5', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange(undefined, 0)).toBeNull();
  });
});

describe('continuedFrom', () => {
  it('reads the first byte of the rest of the signed object', () => {
    expect(continuedFrom(undefined, 1000)).toBe(0);
    expect(continuedFrom(undefined, undefined)).toBe(0);
    expect(continuedFrom('bytes 400-999/1000', 1000)).toBe(400);
    expect(continuedFrom(' bytes 0-999/1000 ', 1000)).toBe(0);
  });

  it.each([
    ['bytes 400-998/1000', 1000],
    ['bytes 400-999/1001', 1000],
    ['bytes 999-998/999', 999],
    ['bytes */1000', 1000],
    ['400-999/1000', 1000],
  ])('refuses %s for a URL signed for %i bytes', (header, length) => {
    expect(() => continuedFrom(header, length)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_range' }));
  });

  it('refuses a Content-Range on a URL signed without an exact length', () => {
    expect(() => continuedFrom('bytes 0-9/10', undefined)).toThrow(/signed for an exact length/);
  });
});
