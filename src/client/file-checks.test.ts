import { describe, expect, it } from 'vitest';
import { accepts, fileProblem } from './file-checks.ts';

const MB = 1024 * 1024;

describe('accepts', () => {
  it.each([
    ['video/mp4,video/webm', 'clip.mp4', 'video/mp4', true],
    ['video/mp4, video/webm', 'clip.webm', 'video/webm', true],
    ['video/mp4,video/webm', 'clip.avi', 'video/x-msvideo', false],
    ['video/*', 'clip.mov', 'video/quicktime', true],
    ['image/*', 'clip.mov', 'video/quicktime', false],
    ['.mkv,video/mp4', 'Film.MKV', '', true],
    ['video/mp4', 'clip.mp4', '', false],
    ['', 'anything.bin', 'application/octet-stream', true],
    ['IMAGE/JPEG', 'a.jpg', 'image/jpeg', true],
  ])('accept=%j, %s (%j) → %s', (accept, name, type, expected) => {
    expect(accepts(accept, { name, type })).toBe(expected);
  });
});

describe('fileProblem', () => {
  const rules = { label: 'video', required: true, accept: 'video/mp4,video/webm', maxSize: 100 * MB };
  it.each([
    ['a good file', { name: 'a.mp4', type: 'video/mp4', size: 5 * MB }, rules, null],
    ['no file when required', undefined, rules, 'Choose a video file.'],
    ['no file when optional', undefined, { ...rules, required: false }, null],
    ['a wrong type', { name: 'a.avi', type: 'video/x-msvideo', size: 5 }, rules, '“a.avi” is not an allowed video type (video/x-msvideo). Allowed: video/mp4, video/webm.'],
    ['too large', { name: 'a.mp4', type: 'video/mp4', size: 150 * MB }, rules, '“a.mp4” is 150.00 MB; the largest video accepted is 100.00 MB.'],
    ['no size limit', { name: 'a.mp4', type: 'video/mp4', size: 150 * MB }, { ...rules, maxSize: null }, null],
    ['empty', { name: 'a.mp4', type: 'video/mp4', size: 0 }, rules, '“a.mp4” is empty.'],
  ])('%s', (_, file, fileRules, expected) => {
    expect(fileProblem(file, fileRules)).toBe(expected);
  });
});

describe('fileProblem in French', () => {
  it('says it with French units and decimals', () => {
    const rules = { label: 'vidéo', required: true, accept: 'video/mp4', maxSize: 100 * MB };
    expect(fileProblem({ name: 'a.mp4', type: 'video/mp4', size: 150.5 * MB }, rules, 'fr')).toBe('«\u00a0a.mp4\u00a0» fait 150,50 Mo\u00a0; le maximum accepté (vidéo) est 100,00 Mo.');
    expect(fileProblem(undefined, rules, 'fr')).toBe('Choisissez un fichier (vidéo).');
  });
});
