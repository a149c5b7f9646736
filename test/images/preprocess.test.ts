import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ODD_IMAGES, PRODUCTS } from '../support/cli.js';

import { BadImageError } from '../../src/core/errors.js';
import type { PreprocessSpec } from '../../src/embed/embedder.js';
import { DEFAULT_PIXEL_LIMIT, preprocessImage } from '../../src/images/preprocess.js';

const ODD = ODD_IMAGES;
const PHOTO = join(PRODUCTS, 'shoes/07d88b75-85a4-407b-aa73-12294a2ff9a8.jpg');

const SPEC: PreprocessSpec = {
  shortestEdge: 224,
  cropWidth: 224,
  cropHeight: 224,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};
const PLANE = 224 * 224;

/**
 * What idx does with every file of the odd-images set, following the README's "careful
 * indexer should" column: `indexed`, or the start of the rejection reason.
 */
const EXPECTED: Record<string, string> = {
  '-leading-dash.jpg': 'indexed',
  '._resource-fork.jpg': 'not an image: macOS metadata file',
  '1x1.jpg': 'indexed',
  '1x1.png': 'indexed',
  'UPPERCASE-EXTENSION.JPEG': 'indexed',
  'animated-30-frames.gif': 'indexed',
  'animated-9-frames.webp': 'indexed',
  'arithmetic-coded.jpg': 'indexed',
  'café ürün 商品 👟.jpg': 'indexed',
  'cmyk-no-icc-profile.jpg': 'indexed',
  'cmyk-with-icc-profile.jpg': 'indexed',
  'exif-orientation-3.jpg': 'indexed',
  'exif-orientation-5-mirrored.jpg': 'indexed',
  'exif-orientation-6.jpg': 'indexed',
  'exif-orientation-8.jpg': 'indexed',
  'fully-transparent-300x300.png': 'indexed',
  'grayscale-1-channel.jpg': 'indexed',
  'interlaced-adam7.png': 'indexed',
  "it's [v2] (copy) #1 & 50%.png": 'indexed',
  'jpeg-20000x14000-greyscale.jpg': 'image exceeds the pixel limit (20000x14000 > 100000000',
  'jpeg-data-with-png-extension.png': 'indexed',
  'jpeg-iptc-xmp-metadata.jpg': 'indexed',
  'jpeg-lossless-sof3.jpg': 'indexed',
  'jpeg-sof-zero-dimensions.jpg': 'invalid JPEG header (zero dimensions)',
  'jpeg-trailing-garbage.jpg': 'indexed',
  'jpeg-ultrahdr-gain-map.jpg': 'indexed',
  'jpeg2000-tile-parts.jp2': 'unsupported format: JPEG 2000',
  'lossless-with-alpha.webp': 'indexed',
  'lossy.webp': 'indexed',
  'multipage-3-products.tiff': 'indexed',
  'palette-with-transparency.png': 'indexed',
  'panorama-16000x100.jpg': 'indexed',
  'photo.avif': 'indexed',
  'photo.bmp': 'unsupported format: BMP',
  'photo.heic': 'HEIC/HEVC decoding is not available in this build',
  'png-16bit-grey-alpha.png': 'indexed',
  'png-16bit-rgb-trns.png': 'indexed',
  'png-20000x20000-rgb-bomb.png': 'image exceeds the pixel limit (20000x20000 > 100000000',
  'png-65536x65536-decompression-bomb.png': 'image exceeds the pixel limit (65536x65536',
  'png-bad-crc.png': 'corrupt PNG (libpng read error)',
  'png-prophoto-icc.png': 'indexed',
  'product photo "red" final.jpg': 'indexed',
  'progressive.jpg': 'indexed',
  'rgb-48bit-16-per-channel.png': 'indexed',
  'svg-external-references.svg': 'vector images (SVG) are not indexed',
  'svg-simple.svg': 'vector images (SVG) are not indexed',
  'svg-viewbox-only.svg': 'vector images (SVG) are not indexed',
  'svg-with-embedded-raster-images.svg': 'vector images (SVG) are not indexed',
  'tall-150x16000.png': 'indexed',
  'text-file-renamed.jpg': 'not an image (unrecognised content)',
  'tiff-cielab-16bit.tiff': 'indexed',
  'tiff-multipage-fax-bilevel.tif': 'indexed',
  'truncated-half.jpg': 'truncated or corrupt image data (premature end of JPEG)',
  'truncated.png': 'truncated PNG (the file ends before its IEND chunk)',
  'webp-data-with-jpg-extension.jpg': 'indexed',
  'zero-bytes.jpg': 'empty file (0 bytes)',
};

async function outcomeOf(file: string): Promise<string> {
  try {
    const result = await preprocessImage(join(ODD, file), SPEC);
    return result.pixels.length === 3 * PLANE ? 'indexed' : `wrong length ${result.pixels.length}`;
  } catch (err) {
    return err instanceof BadImageError ? err.message : `unexpected ${String(err)}`;
  }
}

/** The mean colour in 0..255, undoing the normalisation. */
function meanColour(pixels: Float32Array): number[] {
  return [0, 1, 2].map((channel) => {
    let sum = 0;

    for (let index = 0; index < PLANE; index += 1) {
      sum += pixels[channel * PLANE + index];
    }

    return (sum / PLANE) * SPEC.std[channel] * 255 + SPEC.mean[channel] * 255;
  });
}

function meanAbsoluteDifference(left: Float32Array, right: Float32Array): number {
  return left.reduce((sum, value, index) => sum + Math.abs(value - right[index]), 0) / left.length;
}

describe('preprocessImage on the odd-images set', () => {
  it('covers every file, the hidden one included', async () => {
    const files = (await readdir(ODD)).filter((file) => file !== 'README.md');

    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s: %s', async (file, expected) => {
    const outcome = await outcomeOf(file);

    expect(outcome.startsWith(expected), outcome).toBe(true);
  });
});

describe('preprocessImage output', () => {
  it('writes CHW floats normalised with the mean and std', async () => {
    const result = await preprocessImage(join(ODD, 'fully-transparent-300x300.png'), SPEC);

    // Fully transparent pixels are flattened onto white.
    [0, 1, 2].forEach((channel) => {
      const white = (1 - SPEC.mean[channel]) / SPEC.std[channel];

      expect(result.pixels[channel * PLANE]).toBeCloseTo(white, 5);
      expect(result.pixels[channel * PLANE + PLANE - 1]).toBeCloseTo(white, 5);
    });
  });

  it('reports the source size, format and page count', async () => {
    const photo = await preprocessImage(PHOTO, SPEC);
    const animated = await preprocessImage(join(ODD, 'animated-30-frames.gif'), SPEC);
    const multipage = await preprocessImage(join(ODD, 'multipage-3-products.tiff'), SPEC);

    expect(photo).toMatchObject({ width: 400, height: 534, format: 'jpeg', pages: 1 });
    expect(animated).toMatchObject({ width: 80, height: 80, format: 'gif', pages: 30 });
    expect(multipage).toMatchObject({ format: 'tiff', pages: 3 });
  });

  it.each([
    'grayscale-1-channel.jpg',
    'rgb-48bit-16-per-channel.png',
    'png-16bit-grey-alpha.png',
    'lossless-with-alpha.webp',
    'animated-9-frames.webp',
    'tiff-multipage-fax-bilevel.tif',
    'panorama-16000x100.jpg',
    'tall-150x16000.png',
  ])('gives 3x224x224 for %s', async (file) => {
    const { pixels } = await preprocessImage(join(ODD, file), SPEC);

    expect(pixels).toHaveLength(3 * PLANE);
    expect(pixels.every(Number.isFinite)).toBe(true);
  });

  it('uses only the first page of a multi-page TIFF', async () => {
    const first = await sharp(join(ODD, 'multipage-3-products.tiff'), { page: 0 }).png().toBuffer();
    const second = await sharp(join(ODD, 'multipage-3-products.tiff'), { page: 1 })
      .png()
      .toBuffer();

    const whole = await preprocessImage(join(ODD, 'multipage-3-products.tiff'), SPEC);
    const pageOne = await preprocessImage(first, SPEC);
    const pageTwo = await preprocessImage(second, SPEC);

    expect(meanAbsoluteDifference(whole.pixels, pageOne.pixels)).toBeLessThan(0.01);
    expect(meanAbsoluteDifference(whole.pixels, pageTwo.pixels)).toBeGreaterThan(0.2);
  });

  it('reads a Buffer exactly like the file', async () => {
    const fromPath = await preprocessImage(PHOTO, SPEC);
    const fromBuffer = await preprocessImage(await readFile(PHOTO), SPEC);

    expect(fromBuffer.pixels).toEqual(fromPath.pixels);
  });

  it('refuses a crop larger than the resized image', async () => {
    await expect(preprocessImage(PHOTO, { ...SPEC, cropWidth: 300 })).rejects.toThrow(RangeError);
  });
});

describe('preprocessImage orientation', () => {
  it('reports the displayed size after EXIF rotation', async () => {
    const landscape = await preprocessImage(join(ODD, 'exif-orientation-6.jpg'), SPEC);
    const portrait = await preprocessImage(join(ODD, 'exif-orientation-5-mirrored.jpg'), SPEC);

    expect(landscape).toMatchObject({ width: 600, height: 450 });
    expect(portrait).toMatchObject({ width: 450, height: 600 });
  });

  it('turns a rotated and a mirrored copy of one scene into the same picture', async () => {
    const rotated = await preprocessImage(join(ODD, 'exif-orientation-3.jpg'), SPEC);
    const mirrored = await preprocessImage(join(ODD, 'exif-orientation-5-mirrored.jpg'), SPEC);
    const sideways = await preprocessImage(join(ODD, 'exif-orientation-6.jpg'), SPEC);

    // Both copies show the same portrait once oriented; only their corner digit differs.
    expect(meanAbsoluteDifference(rotated.pixels, mirrored.pixels)).toBeLessThan(0.1);
    expect(meanAbsoluteDifference(rotated.pixels, sideways.pixels)).toBeGreaterThan(0.4);
  });
});

describe('preprocessImage colour', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'idx-colour-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('does not invert a CMYK JPEG without a profile', async () => {
    const cmyk = await preprocessImage(join(ODD, 'cmyk-no-icc-profile.jpg'), SPEC);
    const rgb = await preprocessImage(join(ODD, 'interlaced-adam7.png'), SPEC);

    meanColour(cmyk.pixels).forEach((value, channel) => {
      expect(Math.abs(value - meanColour(rgb.pixels)[channel])).toBeLessThan(12);
    });
  });

  it('converts a CMYK JPEG through its embedded profile', async () => {
    const file = join(workDir, 'cmyk-profile.jpg');
    await sharp(PHOTO).withIccProfile('cmyk').jpeg({ quality: 95 }).toFile(file);

    const metadata = await sharp(file).metadata();
    const cmyk = await preprocessImage(file, SPEC);
    const rgb = await preprocessImage(PHOTO, SPEC);

    expect(metadata).toMatchObject({ space: 'cmyk', hasProfile: true });
    meanColour(cmyk.pixels).forEach((value, channel) => {
      expect(Math.abs(value - meanColour(rgb.pixels)[channel])).toBeLessThan(12);
    });
  });

  it('converts a CIELab TIFF instead of reading Lab as RGB', async () => {
    const { pixels } = await preprocessImage(join(ODD, 'tiff-cielab-16bit.tiff'), SPEC);
    const [red, green, blue] = meanColour(pixels);

    // The photo is mostly foliage.
    expect(green).toBeGreaterThan(red);
    expect(green).toBeGreaterThan(blue);
  });

  it('expands greyscale to three equal channels', async () => {
    const { pixels } = await preprocessImage(join(ODD, 'grayscale-1-channel.jpg'), SPEC);
    const [red, green, blue] = meanColour(pixels);

    expect(Math.abs(red - green)).toBeLessThan(0.5);
    expect(Math.abs(green - blue)).toBeLessThan(0.5);
  });
});

describe('preprocessImage rejections', () => {
  it('refuses decompression bombs after reading only the header', async () => {
    const started = performance.now();
    const rejection = preprocessImage(join(ODD, 'png-65536x65536-decompression-bomb.png'), SPEC);

    await expect(rejection).rejects.toThrow(BadImageError);
    await expect(rejection).rejects.toThrow(
      'image exceeds the pixel limit (65536x65536 > 100000000 pixels)',
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('applies a lower pixel limit when given one', async () => {
    expect(DEFAULT_PIXEL_LIMIT).toBe(100_000_000);
    await expect(preprocessImage(PHOTO, SPEC, { limitInputPixels: 1000 })).rejects.toThrow(
      'image exceeds the pixel limit (400x534 > 1000 pixels)',
    );
  });

  it('tells a truncated PNG from a corrupt one, for files and Buffers', async () => {
    const truncated = await readFile(join(ODD, 'truncated.png'));

    await expect(preprocessImage(truncated, SPEC)).rejects.toThrow(/^truncated PNG/);
    await expect(preprocessImage(join(ODD, 'png-bad-crc.png'), SPEC)).rejects.toThrow(
      /^corrupt PNG/,
    );
  });

  it('rejects empty buffers and missing files', async () => {
    await expect(preprocessImage(Buffer.alloc(0), SPEC)).rejects.toThrow('empty file (0 bytes)');
    await expect(preprocessImage(join(ODD, 'no-such-file.jpg'), SPEC)).rejects.toThrow(
      'file not found',
    );
    await expect(preprocessImage(ODD, SPEC)).rejects.toThrow('not a regular file');
  });

  it('keeps the real reason when several decodes fail at once', async () => {
    // libvips has one error buffer for all threads; concurrent failures used to come back
    // as "Unknown error" about one time in five.
    const files = ['png-bad-crc.png', 'truncated.png', 'truncated-half.jpg', 'lossy.webp'];
    const rounds = await Promise.all(
      Array.from({ length: 10 }, () =>
        Promise.allSettled(files.map((file) => preprocessImage(join(ODD, file), SPEC))),
      ),
    );

    const reasons = rounds
      .flat()
      .flatMap((r) => (r.status === 'rejected' ? [r.reason.message] : []));
    expect(reasons).toHaveLength(30);
    reasons.forEach((reason) => expect(reason).not.toMatch(/Unknown error|cannot decode/));
  });

  it('marks every rejection as a permanent BAD_IMAGE failure', async () => {
    const rejection = preprocessImage(join(ODD, 'truncated-half.jpg'), SPEC);

    await expect(rejection).rejects.toMatchObject({ code: 'BAD_IMAGE', name: 'BadImageError' });
  });
});
