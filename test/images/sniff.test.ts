import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { SNIFF_BYTES, sniffImage } from '../../src/images/sniff.js';

const ODD = path.resolve(__dirname, '../../../shared/datasets/odd-images');
const head = (name: string) => fs.readFileSync(path.join(ODD, name)).subarray(0, SNIFF_BYTES);

describe('sniffImage', () => {
  it.each([
    ['jpeg-data-with-png-extension.png', 'jpeg'],
    ['webp-data-with-jpg-extension.jpg', 'webp'],
    ['photo.avif', 'avif'],
    ['multipage-3-products.tiff', 'tiff'],
    ['animated-30-frames.gif', 'gif'],
    ['interlaced-adam7.png', 'png'],
  ])('recognises %s as %s by its bytes', (file, format) => {
    expect(sniffImage(head(file))).toEqual({ kind: 'image', format });
  });

  it.each([
    ['zero-bytes.jpg', /empty file/],
    ['text-file-renamed.jpg', /not an image \(unrecognised content\)/],
    ['._resource-fork.jpg', /AppleDouble/],
    ['photo.heic', /HEIC\/HEVC decoding is not available/],
    ['photo.bmp', /unsupported format: BMP/],
    ['jpeg2000-tile-parts.jp2', /JPEG 2000/],
    ['svg-simple.svg', /SVG/],
    ['svg-external-references.svg', /SVG/],
  ])('rejects %s with a reason', (file, reason) => {
    const result = sniffImage(head(file));
    expect(result.kind).toBe('rejected');
    expect(result.kind === 'rejected' && result.reason).toMatch(reason);
  });
});
