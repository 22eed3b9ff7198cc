import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MEDIA_TYPES, mediaBytes } from '../../test/media-bytes.ts';
import { acceptedDetections, contentProblem } from './content-check.ts';

describe('contentProblem', () => {
  it.each(MEDIA_TYPES)('takes a real %s for what it is', async (type) => {
    expect(await contentProblem(mediaBytes(type, 4096), type)).toBeNull();
  });

  it('knows the names file-type gives that differ from the configured ones', async () => {
    // file-type says video/matroska and video/MP2P; a WebM is Matroska too.
    expect(await contentProblem(mediaBytes('video/webm', 4096), 'video/x-matroska')).toBeNull();
    expect(await contentProblem(mediaBytes('video/mpeg', 4096), 'video/mpeg')).toBeNull();
    expect(await contentProblem(mediaBytes('video/mp4', 4096), 'VIDEO/MP4')).toBeNull();
  });

  it.each([
    ['a PNG declared as an MP4', mediaBytes('image/png', 4096), 'video/mp4', "The file's contents are not an MP4 video (they look like a PNG image)."],
    ['random bytes declared as an MP4', randomBytes(4096), 'video/mp4', "The file's contents are not an MP4 video (no known file format starts that way)."],
    ['a JPEG declared as a WebP', mediaBytes('image/jpeg', 4096), 'image/webp', "The file's contents are not a WebP image (they look like a JPEG image)."],
    ['an empty opening', Buffer.alloc(0), 'image/png', "The file's contents are not a PNG image (no known file format starts that way)."],
    ['a ZIP declared as a GIF', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(100)]), 'image/gif', expect.stringMatching(/not a GIF image \(they look like a ZIP file\)/)],
  ])('refuses %s, saying what it looks like', async (_name, bytes, type, message) => {
    expect(await contentProblem(bytes, type)).toEqual(message);
  });

  it('lets through a type file-type cannot recognise at all', async () => {
    expect(acceptedDetections('image/svg+xml')).toBeNull();
    expect(await contentProblem(Buffer.from('<svg/>'), 'image/svg+xml')).toBeNull();
    expect(await contentProblem(randomBytes(100), 'video/x-custom')).toBeNull();
  });
});
