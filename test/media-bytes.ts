import { randomBytes } from 'node:crypto';

/**
 * The opening bytes of a real file of each allowed media type: enough for a content check
 * (the `file-type` library) to recognise it. Tests send these followed by random bytes, so a
 * body is both incompressible and what its declared type says it is.
 */
const ascii = (text: string) => Buffer.from(text, 'latin1');
const be32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
/** An ISO base media `ftyp` box (MP4, QuickTime, AVIF, HEIC share the format). */
const ftyp = (major: string, ...compatible: string[]) => {
  const body = Buffer.concat([ascii(major), be32(0), ...compatible.map(ascii)]);
  return Buffer.concat([be32(8 + body.length), ascii('ftyp'), body]);
};
/** An EBML header (Matroska and WebM) with the given DocType. */
const ebml = (docType: string) => {
  const docTypeElement = Buffer.concat([Buffer.from([0x42, 0x82, 0x80 | docType.length]), ascii(docType)]);
  return Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x80 | docTypeElement.length]), docTypeElement]);
};

const OPENINGS: Record<string, Buffer> = {
  'video/mp4': ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41'),
  'video/quicktime': ftyp('qt  ', 'qt  '),
  'video/webm': ebml('webm'),
  'video/x-matroska': ebml('matroska'),
  'video/ogg': Buffer.concat([ascii('OggS'), Buffer.from([0, 2]), Buffer.alloc(22), ascii('\x80theora')]),
  'video/mpeg': Buffer.from([0x00, 0x00, 0x01, 0xba, 0x44, 0x00, 0x04, 0x00, 0x04, 0x01, 0x01, 0x89, 0xc3, 0xf8]),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...ascii('JFIF\0'), 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
  'image/png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), be32(13), ascii('IHDR'), be32(1), be32(1), Buffer.from([8, 2, 0, 0, 0]), be32(0x907753de), be32(0x10000), ascii('IDAT')]),
  'image/webp': Buffer.concat([ascii('RIFF'), be32(0x10000000).reverse(), ascii('WEBPVP8 ')]),
  'image/gif': ascii('GIF89a\x01\x00\x01\x00\x00\x00\x00'),
  'image/avif': ftyp('avif', 'avif', 'mif1', 'miaf'),
  'image/heic': ftyp('heic', 'mif1', 'heic'),
};

/** The content types `mediaBytes` knows, the configured defaults for every kind. */
export const MEDIA_TYPES = Object.keys(OPENINGS);

/** The opening bytes of a file of `contentType`; throws for a type it does not know. */
export function mediaOpening(contentType: string): Buffer {
  const opening = OPENINGS[contentType];
  if (!opening) throw new Error(`mediaBytes: no opening for ${contentType}`);
  return opening;
}

/** `size` bytes that a content check takes for `contentType`: its opening, then random bytes. */
export function mediaBytes(contentType: string, size: number): Buffer {
  const opening = mediaOpening(contentType);
  if (size < opening.length) throw new Error(`mediaBytes: ${contentType} needs at least ${opening.length} bytes`);
  return Buffer.concat([opening, randomBytes(size - opening.length)]);
}
