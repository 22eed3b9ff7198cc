import { describe, expect, it } from 'vitest';
import { formatDate, formatDuration, formatInteger, formatPercent, formatSize, formatSpeed, formatTimeRemaining, formatTransferred } from './format.ts';

const MB = 1024 * 1024;

describe('format', () => {
  it.each([
    [0, '0%'],
    [45, '45%'],
    [99.9, '99%'],
    [100, '100%'],
    [130, '100%'],
    [-1, '0%'],
  ])('percent %f → %s', (percent, text) => expect(formatPercent(percent)).toBe(text));

  it.each([
    [0, 0, '0.00 / 0.00 MB'],
    [12.34 * MB, 56.78 * MB, '12.34 / 56.78 MB'],
    [1, 1024 * MB, '0.00 / 1024.00 MB'],
    [1.005 * MB, 2 * MB, '1.00 / 2.00 MB'],
  ])('transferred %i of %i → %s', (loaded, total, text) => expect(formatTransferred(loaded, total)).toBe(text));

  it.each([
    [null, '0.0 MB/s'],
    [0, '0.0 MB/s'],
    [3.25 * MB, '3.3 MB/s'],
    [120 * MB, '120.0 MB/s'],
  ])('speed %j → %s', (speed, text) => expect(formatSpeed(speed)).toBe(text));

  it.each([
    [null, '--'],
    [Number.POSITIVE_INFINITY, '--'],
    [-3, '--'],
    [0, '0 s'],
    [45, '45 s'],
    [44.2, '45 s'],
    [59, '59 s'],
    [60, '1 min 00 s'],
    [125, '2 min 05 s'],
    [3599, '59 min 59 s'],
    [3600, '1 h 00 min'],
    [3720, '1 h 02 min'],
    [26 * 3600, '26 h 00 min'],
  ])('time remaining %j → %s', (seconds, text) => expect(formatTimeRemaining(seconds)).toBe(text));

  it.each([
    [0, '0 B'],
    [812, '812 B'],
    [999, '999 B'],
    [1000, '1.0 KB'],
    [12.34 * 1024, '12.3 KB'],
    [999 * 1024, '999.0 KB'],
    [1000 * 1024, '0.98 MB'],
    [MB, '1.00 MB'],
    [820 * MB, '820.00 MB'],
    [1023.99 * MB, '1023.99 MB'],
    [1024 * MB, '1.00 GB'],
    [4.27 * 1024 * MB, '4.27 GB'],
  ])('size %i → %s', (bytes, text) => expect(formatSize(bytes)).toBe(text));
});

describe('format in French', () => {
  it.each([
    [() => formatTransferred(88.8 * MB, 286.1 * MB, 'fr'), '88,80 / 286,10 Mo'],
    [() => formatSpeed(12.5 * MB, 'fr'), '12,5 Mo/s'],
    [() => formatSpeed(null, 'fr'), '0,0 Mo/s'],
    [() => formatSize(4.27 * 1024 * MB, 'fr'), '4,27 Go'],
    [() => formatSize(1234.5 * MB, 'fr'), '1,21 Go'],
    [() => formatSize(820 * MB, 'fr'), '820,00 Mo'],
    [() => formatSize(48.5 * 1024, 'fr'), '48,5 Ko'],
    [() => formatSize(812, 'fr'), '812 o'],
  ])('%#: %s', (format, text) => expect(format()).toBe(text));

  it('dates in the reader’s language', () => {
    const date = new Date('2026-12-02T10:15:00Z');
    expect(formatDate(date, 'fr')).toBe('2 déc. 2026');
    expect(formatDate(date, 'en')).toBe('2 Dec 2026');
  });

  it('whole numbers grouped as each language groups them', () => {
    expect(formatInteger(12_345_678, 'fr')).toBe('12\u202f345\u202f678');
    expect(formatInteger(12_345_678, 'en')).toBe('12,345,678');
  });

  it.each([
    [0, '0:00'],
    [7.4, '0:07'],
    [125, '2:05'],
    [3725, '1:02:05'],
    [59.6, '1:00'],
    [-3, '0:00'],
  ])('a running time of %s s reads %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});
