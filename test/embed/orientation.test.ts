import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PRODUCTS } from '../support/cli.js';

import type { Embedder } from '../../src/embed/embedder.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { preprocessImage } from '../../src/images/preprocess.js';

const TINY_CLIP = resolve('test/fixtures/tiny-clip');
const PHOTO = `${PRODUCTS}/shoes/07d88b75-85a4-407b-aa73-12294a2ff9a8.jpg`;

function cosine(left: Float32Array, right: Float32Array): number {
  return left.reduce((sum, value, index) => sum + value * right[index], 0);
}

/**
 * Three copies of one photo: upright; pixels turned 90° counter-clockwise with EXIF
 * orientation 6 ("rotate 90° clockwise to display"), so it displays upright; and the same
 * turned pixels without the tag. Only an indexer that applies EXIF orientation sees the
 * first two as the same picture.
 */
describe('EXIF orientation reaches the embedding', () => {
  let workDir: string;
  let embedder: Embedder;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'idx-orientation-'));
    embedder = await loadEmbedder({ model: TINY_CLIP, threads: 1 });

    await sharp(PHOTO).jpeg({ quality: 95 }).toFile(join(workDir, 'upright.jpg'));
    await sharp(PHOTO)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toFile(join(workDir, 'tagged.jpg'));
    await sharp(PHOTO).rotate(-90).jpeg({ quality: 95 }).toFile(join(workDir, 'untagged.jpg'));
  });

  afterAll(async () => {
    await embedder.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function embed(file: string): Promise<Float32Array> {
    const { pixels } = await preprocessImage(join(workDir, file), embedder.preprocess);
    const [vector] = await embedder.embedImages([pixels]);

    return vector;
  }

  it('stores the tagged copy sideways with orientation 6', async () => {
    const metadata = await sharp(join(workDir, 'tagged.jpg')).metadata();

    expect(metadata.orientation).toBe(6);
    expect(metadata.width).toBeGreaterThan(metadata.height);
  });

  it('reports the displayed size of the tagged copy', async () => {
    const result = await preprocessImage(join(workDir, 'tagged.jpg'), embedder.preprocess);

    expect(result.width).toBeLessThan(result.height);
  });

  it('embeds the tagged copy like the upright one', async () => {
    const upright = await embed('upright.jpg');
    const tagged = await embed('tagged.jpg');

    expect(cosine(upright, tagged)).toBeGreaterThan(0.999);
  });

  it('embeds the untagged sideways copy differently', async () => {
    const upright = await embed('upright.jpg');
    const untagged = await embed('untagged.jpg');

    expect(cosine(upright, untagged)).toBeLessThan(0.9);
  });
});
