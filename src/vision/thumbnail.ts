import sharp from 'sharp';
import type { DecodedPixels } from './letterbox.js';

export interface Thumbnails {
  /** The image's size after EXIF orientation: the space results' coordinates are in. */
  width: number;
  height: number;
  /** JPEG, at most `previewSide` px on its longer side: what a result is redrawn over. */
  preview: Buffer;
  /** JPEG, at most `thumbnailSide` px on its longer side: for lists. */
  thumbnail: Buffer;
}

/** The sides of the history's images (the defaults are what the dashboard draws). */
export interface ThumbnailSides {
  /** @defaultValue 640 */
  previewSide?: number;
  /** @defaultValue 200 */
  thumbnailSide?: number;
}

/**
 * The history's JPEG settings. Huffman-table optimisation (sharp's default) is off: on a 640 px
 * preview it saves 1.4 % of the bytes and doubles the encode's CPU (bus.jpg: 3.9 vs 7.3 ms), and
 * the encode runs for every recorded request on cores the models need.
 */
const PREVIEW_JPEG = { quality: 80, mozjpeg: false, optimiseCoding: false } as const;
const THUMBNAIL_JPEG = { quality: 70, mozjpeg: false, optimiseCoding: false } as const;

export interface ThumbnailOptions extends ThumbnailSides {
  /** Refuse larger images (by header) before decoding. */
  maxPixels: number;
}

/**
 * Makes a preview and a list thumbnail of an encoded image, EXIF-oriented like the coordinates
 * of every result. The thumbnail is made from the preview, so the original is decoded once (and
 * for JPEG, libvips shrinks while decoding). Transparent images are flattened on white, since
 * JPEG has no alpha.
 */
export async function makeThumbnails(bytes: Uint8Array, options: ThumbnailOptions): Promise<Thumbnails> {
  const { previewSide = 640, thumbnailSide = 200, maxPixels } = options;
  const source = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'none' });
  const metadata = await source.metadata();
  const { width, height } = metadata.autoOrient;
  const preview = await source
    .autoOrient()
    // Bilinear rather than lanczos3: this runs in the API process for every recorded request, and
    // measured on bus.jpg it costs about 40% less CPU, with no difference that shows at 640 px.
    .resize({ width: previewSide, height: previewSide, fit: 'inside', withoutEnlargement: true, kernel: 'linear' })
    .flatten({ background: '#ffffff' })
    .jpeg(PREVIEW_JPEG)
    .toBuffer();
  const thumbnail = await sharp(preview)
    .resize({ width: thumbnailSide, height: thumbnailSide, fit: 'inside', withoutEnlargement: true, kernel: 'linear' })
    .jpeg(THUMBNAIL_JPEG)
    .toBuffer();
  return { width, height, preview, thumbnail };
}

/**
 * Pixels a model worker has already decoded, from which the previews can be made without a
 * second decode: a raw RGB canvas (a letterboxed model input) and the region of it that holds
 * the whole source image, scaled but not distorted.
 */
export interface PreviewSource {
  data: Buffer;
  /** The canvas. */
  width: number;
  height: number;
  /** The source image's place on the canvas. */
  region: { left: number; top: number; width: number; height: number };
  /** The source image's size after EXIF orientation. */
  sourceWidth: number;
  sourceHeight: number;
}

/** The whole of a decoded image as a preview source (a model input cut or stretched from it would not do). */
export function wholeImagePreview(pixels: DecodedPixels): PreviewSource {
  const { data, width, height } = pixels;
  return { data, width, height, region: { left: 0, top: 0, width, height }, sourceWidth: width, sourceHeight: height };
}

/**
 * The previews from already decoded pixels, or undefined when the region is smaller than the
 * preview should be (a model input smaller than the preview, of a larger image): the caller
 * then decodes the original with {@link makeThumbnails}. Encoding from a 640 px region costs a
 * few ms, where decoding bus.jpg again costs ~20.
 */
export async function thumbnailsFromPixels(source: PreviewSource, sides: ThumbnailSides = {}): Promise<Thumbnails | undefined> {
  const { previewSide = 640, thumbnailSide = 200 } = sides;
  const { region, sourceWidth, sourceHeight } = source;
  const wanted = Math.min(previewSide, Math.max(sourceWidth, sourceHeight));
  if (Math.max(region.width, region.height) < wanted) return undefined;
  const fit = { fit: 'inside', withoutEnlargement: true } as const;
  const raw = () => sharp(source.data, { raw: { width: source.width, height: source.height, channels: 3 } }).extract(region);
  const [preview, thumbnail] = await Promise.all([
    raw().resize({ width: wanted, height: wanted, ...fit, kernel: 'linear' }).jpeg(PREVIEW_JPEG).toBuffer(),
    raw().resize({ width: thumbnailSide, height: thumbnailSide, ...fit, kernel: 'linear' }).jpeg(THUMBNAIL_JPEG).toBuffer(),
  ]);
  return { width: sourceWidth, height: sourceHeight, preview, thumbnail };
}
