import { describe, expect, it } from 'vitest';
import { createVideoBody, textProblem } from './api.ts';

describe('textProblem', () => {
  it.each([
    ['Holiday at sea', false],
    ['Élève — 日本語 — שלום — 🎬', false],
    ['two\nlines\r\nand\ta tab', true],
  ])('takes %j', (text, multiline) => expect(textProblem(text, { multiline })).toBeNull());

  it.each([
    ['a\u0000b', {}, /NUL/],
    ['a\uD800b', {}, /lone UTF-16 surrogate/],
    ['a\uDFFF', {}, /lone UTF-16 surrogate/],
    ['\uDC00\uD800', {}, /lone UTF-16 surrogate/],
    ['a\nb', {}, /control/],
    ['a\tb', {}, /control/],
    ['a\u0007b', { multiline: true }, /control/],
    ['a\u007fb', { multiline: true }, /control/],
    ['a\u0085b', { multiline: true }, /control/],
    ['clip\u202E4pm.exe', {}, /bidirectional/],
    ['a\u2066b', { multiline: true }, /bidirectional/],
  ])('refuses %j', (text, options, reason) => expect(textProblem(text, options)).toMatch(reason));
});

describe('the text fields of the API', () => {
  it('refuse what textProblem refuses, naming the field', () => {
    const result = createVideoBody.safeParse({ title: 'a\u0000b', upload_id: '7d444840-9dc0-41d1-b245-5ffdce74fad2' });
    expect(result.error?.issues[0]).toMatchObject({ path: ['title'], message: 'The title contains a NUL character.' });
    const description = createVideoBody.safeParse({ title: 'ok', description: 'line\nbreak\u202E', upload_id: '7d444840-9dc0-41d1-b245-5ffdce74fad2' });
    expect(description.error?.issues[0]?.message).toMatch(/^The description contains a bidirectional override/);
    expect(createVideoBody.safeParse({ title: 'ok', description: 'line\nbreak', upload_id: '7d444840-9dc0-41d1-b245-5ffdce74fad2' }).success).toBe(true);
  });
});
