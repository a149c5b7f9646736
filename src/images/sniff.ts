/**
 * Recognises image files by their first bytes, not their names: a JPEG called `.png`
 * is still a JPEG, and a text file called `.jpg` is not an image.
 */

/** Formats the decoder (sharp/libvips as shipped) can read. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif';

export type SniffResult =
  { kind: 'image'; format: ImageFormat } | { kind: 'rejected'; reason: string };

/** How many leading bytes {@link sniffImage} needs. */
export const SNIFF_BYTES = 64;

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/** Classifies a file from its first {@link SNIFF_BYTES} bytes (or fewer for short files). */
export function sniffImage(head: Buffer): SniffResult {
  if (head.length === 0) {
    return { kind: 'rejected', reason: 'empty file (0 bytes)' };
  }

  const format = rasterFormat(head);
  if (format) {
    return format;
  }

  return { kind: 'rejected', reason: unsupportedReason(head) };
}

function rasterFormat(head: Buffer): SniffResult | null {
  const ascii = head.toString('latin1');

  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    return { kind: 'image', format: 'jpeg' };
  }
  if (ascii.startsWith('\x89PNG\r\n\x1a\n')) {
    return { kind: 'image', format: 'png' };
  }
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) {
    return { kind: 'image', format: 'gif' };
  }
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') {
    return { kind: 'image', format: 'webp' };
  }
  if (ascii.startsWith('II*\x00') || ascii.startsWith('MM\x00*')) {
    return { kind: 'image', format: 'tiff' };
  }
  if (ascii.slice(4, 8) === 'ftyp') {
    return isoMediaFormat(head);
  }
  return null;
}

// HEIF containers carry AV1 (AVIF, decodable) or HEVC (HEIC, whose decoder the prebuilt
// sharp leaves out for patent reasons and fails on with a cryptic "bad seek").
function isoMediaFormat(head: Buffer): SniffResult {
  const boxSize = Math.min(head.readUInt32BE(0), head.length);
  const brands: string[] = [];
  for (let offset = 8; offset + 4 <= boxSize; offset += 4) {
    if (offset !== 12) {
      brands.push(head.toString('latin1', offset, offset + 4));
    }
  }

  if (brands.includes('avif') || brands.includes('avis')) {
    return { kind: 'image', format: 'avif' };
  }
  if (brands.some((brand) => HEVC_BRANDS.has(brand))) {
    return {
      kind: 'rejected',
      reason: 'HEIC/HEVC decoding is not available in this build; convert the file to JPEG',
    };
  }
  return { kind: 'rejected', reason: 'unsupported format: ISO media file that is not AVIF' };
}

function unsupportedReason(head: Buffer): string {
  const ascii = head.toString('latin1');
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();

  if (ascii.startsWith('BM') && head.length >= 26) {
    return 'unsupported format: BMP; convert the file to PNG or JPEG';
  }
  if (ascii.startsWith('\x00\x00\x00\x0cjP  ') || ascii.startsWith('\xffO\xffQ')) {
    return 'unsupported format: JPEG 2000; convert the file to PNG or JPEG';
  }
  if (ascii.startsWith('\x00\x05\x16\x07') || ascii.startsWith('\x00\x05\x16\x00')) {
    return 'not an image: macOS metadata file (AppleDouble "._" file)';
  }
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) {
    return 'vector images (SVG) are not indexed; export a PNG or JPEG';
  }
  if (text.startsWith('<?xml') || text.startsWith('<!DOCTYPE svg')) {
    return 'vector images (SVG) are not indexed; export a PNG or JPEG';
  }
  if (ascii.startsWith('\xff\x0a') || ascii.startsWith('\x00\x00\x00\x0cJXL ')) {
    return 'unsupported format: JPEG XL; convert the file to PNG or JPEG';
  }
  return 'not an image (unrecognised content)';
}

/**
 * File extensions that make a file in a scanned folder a candidate even when its bytes are
 * not an image, so that it is reported rather than silently skipped.
 */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.gif',
  '.webp',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
  '.heif',
  '.bmp',
  '.jp2',
  '.j2k',
  '.jpx',
  '.svg',
  '.jxl',
]);
