import { describe, expect, it } from 'vitest';
import { itemTitles, withoutExtension } from './item-titles.ts';

describe('itemTitles', () => {
  it.each<[string, string[], string[]]>([
    ['Match', ['a.jpg'], ['Match']],
    ['  Match ', ['a.jpg', 'b.jpg', 'c.jpg'], ['Match (1)', 'Match (2)', 'Match (3)']],
    ['', ['IMG_0042.JPG', 'stade de nuit.webp'], ['IMG_0042', 'stade de nuit']],
    ['   ', ['archive.2024.png'], ['archive.2024']],
  ])('%j for %j → %j', (title, files, expected) => {
    expect(itemTitles(title, files)).toEqual(expected);
  });

  it('keeps a name that is only an extension', () => {
    expect(withoutExtension('.jpg')).toBe('.jpg');
    expect(withoutExtension('README')).toBe('README');
  });
});
