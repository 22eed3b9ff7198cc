/**
 * What the browser reads of a file before it is sent, so the server never decodes media: a
 * video's duration and size from a `<video>` element's metadata, and a representative frame as
 * its cover; a photo's size (EXIF orientation applied) and a thumbnail. A file the browser
 * cannot read gives nulls and no picture: it is still uploaded.
 */
import { isDimension, isDuration, MAX_THUMBNAIL_BYTES, THUMBNAIL_EDGE } from '../shared/media-limits.ts';

export interface VideoProbe {
  duration: number | null;
  width: number | null;
  height: number | null;
  /** A frame that is not black, encoded WebP (else JPEG), when one was asked for and could be taken. */
  cover: Blob | null;
}

export interface PhotoProbe {
  width: number | null;
  height: number | null;
  /** At most `THUMBNAIL_EDGE` px on its longer side, WebP where the browser encodes it, else JPEG. */
  thumbnail: Blob | null;
}

/** Where the cover is taken from, as fractions of the duration, in the order tried. */
export const FRAME_POSITIONS = [0.1, 0.25, 0.5, 0.75] as const;
/** A frame darker than this mean luminance (0–255) is taken for black: a fade-in, a title card. */
export const MIN_LUMINANCE = 24;
/** A cover's longer side: enough for the player's poster, far below the 2 MiB limit. */
const COVER_EDGE = 1280;
/** How long the element may take for its metadata or one seek: a file it cannot read may never answer. */
const WAIT_MS = 8000;
/** How long a seek's new frame may take to be presented once the element says `seeked`. */
const FRAME_WAIT_MS = 1000;

const NOTHING: VideoProbe = { duration: null, width: null, height: null, cover: null };

/** The video's figures and, with `cover`, a frame to use as its cover; nulls where it cannot be read. */
export async function probeVideo(file: Blob, options: { cover: boolean }): Promise<VideoProbe> {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.playsInline = true;
  try {
    video.src = url;
    await settle(video, 'loadedmetadata');
    let duration = video.duration;
    // A recording (MediaRecorder's WebM) does not say its length: seeking to the end makes the element find it.
    if (!Number.isFinite(duration)) {
      video.currentTime = Number.MAX_SAFE_INTEGER;
      await settle(video, 'seeked');
      duration = video.duration;
    }
    const found: VideoProbe = {
      duration: isDuration(duration) ? duration : null,
      width: isDimension(video.videoWidth) ? video.videoWidth : null,
      height: isDimension(video.videoHeight) ? video.videoHeight : null,
      cover: null,
    };
    if (options.cover && found.duration && found.width && found.height) found.cover = await representativeFrame(video, found.duration).catch(() => null);
    return found;
  } catch {
    return NOTHING;
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

/** The first frame at 10 %, 25 %, 50 %, 75 % that is not black, else the brightest of them, encoded. */
async function representativeFrame(video: HTMLVideoElement, duration: number): Promise<Blob | null> {
  const scale = Math.min(1, COVER_EDGE / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
  canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let best: { luminance: number; at: number } | null = null;
  for (const position of FRAME_POSITIONS) {
    const at = duration * position;
    await seekTo(video, at);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const luminance = meanLuminance(ctx, canvas.width, canvas.height);
    if (luminance >= MIN_LUMINANCE) return encode(canvas);
    if (!best || luminance > best.luminance) best = { luminance, at };
  }
  // Every frame tried is dark: the brightest is still the video's own picture.
  await seekTo(video, best!.at);
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return encode(canvas);
}

/** The photo's figures (as it shows, EXIF orientation applied) and its thumbnail; nulls where it cannot be decoded. */
export async function probePhoto(file: Blob): Promise<PhotoProbe> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { width: null, height: null, thumbnail: null };
  }
  try {
    const { width, height } = bitmap;
    const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return { width: isDimension(width) ? width : null, height: isDimension(height) ? height : null, thumbnail: await encode(canvas).catch(() => null) };
  } finally {
    bitmap.close();
  }
}

/** Mean luminance (Rec. 709, 0–255) of what the canvas holds, read from a small copy. */
export function meanLuminance(source: CanvasRenderingContext2D, width: number, height: number): number {
  const size = 32;
  const small = document.createElement('canvas');
  small.width = size;
  small.height = size;
  const ctx = small.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(source.canvas, 0, 0, width, height, 0, 0, size, size);
  const { data } = ctx.getImageData(0, 0, size, size);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
  return sum / (size * size);
}

/**
 * The canvas as WebP where the browser encodes it (Safari gives PNG instead), else JPEG, at a
 * quality lowered until it fits in `MAX_THUMBNAIL_BYTES`; null when even the lowest does not.
 */
async function encode(canvas: HTMLCanvasElement): Promise<Blob | null> {
  let type = 'image/webp';
  for (const quality of [0.85, 0.7, 0.5, 0.3]) {
    let blob = await toBlob(canvas, type, quality);
    if (blob && blob.type !== type) {
      // No WebP encoder: JPEG, on white where the picture was transparent.
      type = 'image/jpeg';
      const ctx = canvas.getContext('2d')!;
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.globalCompositeOperation = 'source-over';
      blob = await toBlob(canvas, type, quality);
    }
    if (blob && blob.type === type && blob.size <= MAX_THUMBNAIL_BYTES) return blob;
  }
  return null;
}

const toBlob = (canvas: HTMLCanvasElement, type: string, quality: number) => new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, quality));

/**
 * Seeks and waits for the frame at `at` to be the one drawn: `seeked` says the position is
 * decoded, and where the browser has `requestVideoFrameCallback`, the frame presented after it
 * says the picture is there too (a loaded machine has drawn the previous one, or nothing, on
 * `seeked` alone). A seek that presents no new frame (the same picture) waits `FRAME_WAIT_MS` at most.
 */
async function seekTo(video: HTMLVideoElement, at: number): Promise<void> {
  const presented =
    'requestVideoFrameCallback' in video
      ? new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FRAME_WAIT_MS);
          video.requestVideoFrameCallback(() => {
            clearTimeout(timer);
            resolve();
          });
        })
      : Promise.resolve();
  video.currentTime = at;
  await settle(video, 'seeked');
  await presented;
}

/** Resolves on the element's `event`, rejects on its `error` or after `WAIT_MS`. */
function settle(video: HTMLVideoElement, event: 'loadedmetadata' | 'seeked'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (ok: boolean) => () => {
      clearTimeout(timer);
      video.removeEventListener(event, onEvent);
      video.removeEventListener('error', onError);
      if (ok) resolve();
      else reject(new Error(`The browser cannot read this video (${event}).`));
    };
    const onEvent = done(true);
    const onError = done(false);
    const timer = setTimeout(onError, WAIT_MS);
    video.addEventListener(event, onEvent);
    video.addEventListener('error', onError);
  });
}

/** The name of a file the browser made from `filename`: `clip.mp4` → `clip-cover.webp`. */
export function derivedName(filename: string, suffix: string, type: string): string {
  const base = filename.replace(/\.[^.]*$/, '') || 'file';
  return `${base}-${suffix}.${type === 'image/webp' ? 'webp' : 'jpg'}`;
}
