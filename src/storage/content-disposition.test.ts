import { describe, expect, it } from 'vitest';
import { attachment } from './content-disposition.ts';

describe('attachment (Content-Disposition)', () => {
  it.each([
    ['report.pdf', `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`],
    ['Été à "Paris".mp4', `attachment; filename="_t_ _ _Paris_.mp4"; filename*=UTF-8''%C3%89t%C3%A9%20%C3%A0%20%22Paris%22.mp4`],
    ['Été "1".jpg', `attachment; filename="_t_ _1_.jpg"; filename*=UTF-8''%C3%89t%C3%A9%20%221%22.jpg`],
    ['100% (final)*.mov', `attachment; filename="100_ (final)*.mov"; filename*=UTF-8''100%25%20%28final%29%2A.mov`],
    ["l'été\\x.png", `attachment; filename="l'_t__x.png"; filename*=UTF-8''l%27%C3%A9t%C3%A9%5Cx.png`],
    ['日本.jpg', `attachment; filename="__.jpg"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.jpg`],
    ['😀.png', `attachment; filename="__.png"; filename*=UTF-8''%F0%9F%98%80.png`],
  ])('%s', (filename, header) => {
    expect(attachment(filename)).toBe(header);
  });

  it('keeps the fallback to printable ASCII without a quote, a backslash or a percent sign', () => {
    for (const name of ['a"b', 'a\\b', 'a%20b', 'tab\there', 'new\nline', 'ñ']) {
      const fallback = /filename="([^"]*)"/.exec(attachment(name))![1]!;
      expect(fallback).toMatch(/^[\x20-\x7e]*$/);
      expect(fallback).not.toMatch(/["\\%]/);
    }
  });

  it("gives the exact name back to RFC 8187's decoding", () => {
    for (const name of ['Été à "Paris".mp4', "it's (1)*.mov", '100%.txt', '😀 日本.jpg']) {
      const exact = /filename\*=UTF-8''(.*)$/.exec(attachment(name))![1]!;
      expect(exact).toMatch(/^[A-Za-z0-9!#$&+\-.^_`|~%]*$/);
      expect(decodeURIComponent(exact)).toBe(name);
    }
  });
});
