import { fileTypeFromBuffer, supportedMimeTypes } from 'file-type';

/**
 * Whether an object's first bytes are what its declared type says, by their magic numbers
 * (the `file-type` library): a PNG renamed `.mp4`, random bytes, or an HTML page declared as a
 * photo is refused at complete. Only the opening is read (`readStart`, at most 64 KiB, enough for
 * file-type to recognise any media file), so the app still carries no file.
 */

/**
 * The detections each declared type accepts, where file-type's names differ from the ones
 * browsers send, or one format is written in several (a WebM is Matroska; a `.mov` may carry
 * an MP4 brand and an `.mp4` a QuickTime one; HEIC files are HEIF).
 */
const ACCEPTED: Record<string, readonly string[]> = {
  'video/mp4': ['video/mp4', 'video/x-m4v', 'video/quicktime', 'video/3gpp', 'video/3gpp2'],
  'video/quicktime': ['video/quicktime', 'video/mp4', 'video/x-m4v'],
  'video/webm': ['video/webm', 'video/matroska'],
  'video/x-matroska': ['video/matroska', 'video/webm'],
  'video/ogg': ['video/ogg', 'application/ogg', 'audio/ogg'],
  'video/mpeg': ['video/mpeg', 'video/MP2P', 'video/MP1S', 'video/mp2t'],
  'image/png': ['image/png', 'image/apng'],
  'image/heic': ['image/heic', 'image/heic-sequence', 'image/heif', 'image/heif-sequence'],
  'image/heif': ['image/heif', 'image/heif-sequence', 'image/heic', 'image/heic-sequence'],
};

/** What a declared type is called in a message. */
const NAMES: Record<string, string> = {
  'video/mp4': 'an MP4 video',
  'video/quicktime': 'a QuickTime video',
  'video/webm': 'a WebM video',
  'video/x-matroska': 'a Matroska video',
  'video/ogg': 'an Ogg video',
  'video/mpeg': 'an MPEG video',
  'image/jpeg': 'a JPEG image',
  'image/png': 'a PNG image',
  'image/webp': 'a WebP image',
  'image/gif': 'a GIF image',
  'image/avif': 'an AVIF image',
  'image/heic': 'a HEIC image',
};

const nameOf = (type: string) => NAMES[type] ?? `a ${type} file`;

/** The detections that agree with `declared`, or null when file-type cannot recognise that type at all (then it passes unchecked). */
export function acceptedDetections(declared: string): readonly string[] | null {
  const type = declared.toLowerCase();
  if (ACCEPTED[type]) return ACCEPTED[type];
  return (supportedMimeTypes as ReadonlySet<string>).has(type) ? [type] : null;
}

/** Why the object's opening `start` is not a file of type `declared`, or null when it is (or the type cannot be checked). */
export async function contentProblem(start: Uint8Array, declared: string): Promise<string | null> {
  const accepted = acceptedDetections(declared);
  if (!accepted) return null;
  const found = start.length > 0 ? await fileTypeFromBuffer(start) : undefined;
  if (found && accepted.includes(found.mime)) return null;
  const looks = found ? `they look like ${NAMES[found.mime] ?? `a ${found.ext.toUpperCase()} file`}` : 'no known file format starts that way';
  return `The file's contents are not ${nameOf(declared.toLowerCase())} (${looks}).`;
}
