import { describe, expect, it } from 'vitest';
import { MULTIPART_LIMITS } from '../storage/driver.ts';
import { cleanFilename, isKeyOfKind, newKey, planFor, planParts, planRequestedParts, typeForFilename } from './rules.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('planParts', () => {
  it.each([
    { size: 1, strategy: 'single', partSize: 1, partCount: 1 },
    { size: 256 * MiB, strategy: 'single', partSize: 256 * MiB, partCount: 1 },
    { size: 256 * MiB + 1, strategy: 'multipart', partSize: 64 * MiB, partCount: 5 },
    { size: 300 * 1000 * 1000, strategy: 'multipart', partSize: 64 * MiB, partCount: 5 },
    { size: 20 * GiB, strategy: 'multipart', partSize: 64 * MiB, partCount: 320 },
    // 10,000 parts of 64 MiB hold 625 GiB; beyond that the part grows, in whole MiB.
    { size: 1024 * GiB, strategy: 'multipart', partSize: 105 * MiB, partCount: 9987 },
    { size: MULTIPART_LIMITS.maxObjectSize, strategy: 'multipart', partSize: 524 * MiB, partCount: 9996 },
  ])('$size bytes → $strategy, $partCount part(s) of $partSize', ({ size, ...expected }) => {
    expect(planParts(size)).toEqual(expected);
  });

  it('keeps every plan within the store’s rules', () => {
    for (const size of [65 * MiB, 5 * GiB, 99 * GiB + 7, 700 * GiB, 4.9 * 1024 * GiB]) {
      const { partSize, partCount } = planParts(Math.floor(size));
      expect(partCount).toBeLessThanOrEqual(MULTIPART_LIMITS.maxParts);
      expect(partSize).toBeGreaterThanOrEqual(MULTIPART_LIMITS.minPartSize);
      expect(partSize).toBeLessThanOrEqual(MULTIPART_LIMITS.maxPartSize);
      const last = Math.floor(size) - partSize * (partCount - 1);
      expect(last).toBeGreaterThan(0);
      expect(last).toBeLessThanOrEqual(partSize);
    }
  });

  it('sends files up to the single-PUT limit in one PUT on a store that keeps a cut PUT’s bytes', () => {
    const resumable = planFor({ extensions: ['resumable-put'] });
    expect(planParts(GiB, resumable)).toEqual({ strategy: 'single', partSize: GiB, partCount: 1 });
    expect(planParts(MULTIPART_LIMITS.maxSinglePut, resumable).strategy).toBe('single');
    expect(planParts(MULTIPART_LIMITS.maxSinglePut + 1, resumable)).toEqual({ strategy: 'multipart', partSize: 64 * MiB, partCount: 80 });
    expect(planParts(GiB, planFor({ extensions: [] }))).toEqual({ strategy: 'multipart', partSize: 64 * MiB, partCount: 16 });
  });

  it('takes a client’s link hints on S3, clamped to the store’s limits, one size but the last within 10,000 parts', () => {
    const s3 = { extensions: [] };
    const slow = planFor(s3, { preferred_part_size: 7 * MiB, single_put_max: 7 * MiB });
    expect(planParts(6 * MiB, slow).strategy).toBe('single');
    expect(planParts(100 * MiB, slow)).toEqual({ strategy: 'multipart', partSize: 7 * MiB, partCount: 15 });
    const huge = planParts(200 * GiB, slow);
    expect(huge.partSize).toBe(21 * MiB);
    expect(huge.partCount).toBeLessThanOrEqual(MULTIPART_LIMITS.maxParts);
    expect(planFor(s3, { preferred_part_size: 1, single_put_max: 10 * 1024 * GiB })).toEqual({ preferredPartSize: MULTIPART_LIMITS.minPartSize, singlePutMax: MULTIPART_LIMITS.maxSinglePut });
    expect(planFor(s3, { preferred_part_size: 7.5 * MiB }).preferredPartSize).toBe(7 * MiB);
    expect(planFor(s3, { preferred_part_size: 10 * 1024 * GiB }).preferredPartSize).toBe(MULTIPART_LIMITS.maxPartSize);
  });

  it('keeps one PUT on the local store whatever the hints: a cut there loses nothing', () => {
    const local = planFor({ extensions: ['resumable-put'] }, { preferred_part_size: 7 * MiB, single_put_max: 7 * MiB });
    expect(planParts(GiB, local)).toEqual({ strategy: 'single', partSize: GiB, partCount: 1 });
    expect(planParts(MULTIPART_LIMITS.maxSinglePut + 1, local).partSize).toBe(7 * MiB);
  });

  it('honours a smaller single-PUT threshold and refuses impossible sizes', () => {
    expect(planParts(10 * MiB, { singlePutMax: 8 * MiB, preferredPartSize: 8 * MiB })).toEqual({ strategy: 'multipart', partSize: 8 * MiB, partCount: 2 });
    expect(() => planParts(-1)).toThrow(RangeError);
    expect(() => planParts(MULTIPART_LIMITS.maxObjectSize + 1)).toThrow(RangeError);
  });
});

describe('planRequestedParts', () => {
  it.each([
    { size: 1024 * MiB, partSize: 5 * MiB, expected: { strategy: 'multipart', partSize: 5 * MiB, partCount: 205 } },
    { size: 3 * MiB, partSize: 5 * MiB, expected: { strategy: 'multipart', partSize: 5 * MiB, partCount: 1 } },
    { size: 60 * GiB, partSize: 6_442_451, expected: { strategy: 'multipart', partSize: 6_442_451, partCount: 10_000 } },
    { size: 20 * MiB, partSize: 5 * MiB - 1, expected: { problem: expect.stringMatching(/from 5242880/) } },
    { size: 20 * MiB, partSize: 5 * GiB, expected: { problem: expect.stringMatching(/5 GiB − 5 MiB/) } },
    { size: 60 * GiB, partSize: 5 * MiB, expected: { problem: expect.stringMatching(/12288 parts.*at least 6442451/) } },
  ])('$size bytes in parts of $partSize', ({ size, partSize, expected }) => {
    expect(planRequestedParts(size, partSize)).toEqual(expected);
  });
});

describe('cleanFilename', () => {
  it.each([
    ['holiday.mp4', 'holiday.mp4'],
    ['  spaced name.MOV ', 'spaced name.MOV'],
    ['C:\\Users\\me\\clip.mp4', 'clip.mp4'],
    ['été à Paris.jpg', 'été à Paris.jpg'],
    ['concert.mp4', 'concert.mp4'],
    ['Auxerre.jpg', 'Auxerre.jpg'],
    ['שלום.mp4', 'שלום.mp4'],
  ])('%j → %j', (raw, clean) => expect(cleanFilename(raw)).toBe(clean));

  it.each([
    ['../secret.mp4', /plain name/],
    ['a/../../b.mp4', /plain name/],
    ['nul\0.mp4', /NUL/],
    ['bell\u0007.mp4', /control/],
    ['x\uD800.mp4', /lone UTF-16 surrogate/],
    ['clip\u202E4pm.exe', /bidirectional/],
    ['CON.mp4', /Windows reserves/],
    ['lpt1', /Windows reserves/],
    ['nul.tar.gz', /Windows reserves/],
    ['', /empty/],
    ['x'.repeat(10_000), /longer than 255/],
  ])('refuses %j', (raw, message) => expect(() => cleanFilename(raw)).toThrow(message));
});

describe('keys and types', () => {
  it('makes fresh keys in the kind’s folder, keeping a known extension only', () => {
    expect(newKey('video', 'Film.MP4')).toMatch(/^videos\/[0-9a-f-]{36}\.mp4$/);
    expect(newKey('cover', 'c.png')).toMatch(/^films\/[0-9a-f-]{36}\.png$/);
    expect(newKey('thumbnail', 't.webp')).toMatch(/^thumbs\/[0-9a-f-]{36}\.webp$/);
    expect(newKey('photo', 'weird.p h p')).toMatch(/^photos\/[0-9a-f-]{36}$/);
    expect(newKey('video', 'a.mp4')).not.toBe(newKey('video', 'a.mp4'));
    expect(isKeyOfKind(newKey('photo', 'a.jpg'), 'photo')).toBe(true);
    expect(isKeyOfKind(newKey('photo', 'a.jpg'), 'video')).toBe(false);
    expect(isKeyOfKind('videos/../secret', 'video')).toBe(false);
  });

  it('gives the type browsers report for an extension', () => {
    expect(typeForFilename('a.mov')).toBe('video/quicktime');
    expect(typeForFilename('a.JPG')).toBe('image/jpeg');
    expect(typeForFilename('a.exe')).toBeNull();
    expect(typeForFilename('noext')).toBeNull();
  });
});
