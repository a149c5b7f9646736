import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ModelError } from '../../src/core/errors.js';
import { readPreprocessSpec } from '../../src/embed/preprocess-spec.js';

const CLIP_CONFIG = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_normalize: true,
  do_rescale: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};

describe('readPreprocessSpec', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'idx-spec-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function specOf(config: object) {
    await writeFile(join(folder, 'preprocessor_config.json'), JSON.stringify(config));
    return readPreprocessSpec(folder);
  }

  it('reads the CLIP recipe', async () => {
    expect(await specOf(CLIP_CONFIG)).toEqual({
      shortestEdge: 224,
      cropWidth: 224,
      cropHeight: 224,
      mean: CLIP_CONFIG.image_mean,
      std: CLIP_CONFIG.image_std,
    });
  });

  it('accepts plain numbers for size and crop_size', async () => {
    const spec = await specOf({ ...CLIP_CONFIG, size: 256, crop_size: 224 });

    expect(spec).toMatchObject({ shortestEdge: 256, cropWidth: 224, cropHeight: 224 });
  });

  it('refuses a recipe idx would apply differently', async () => {
    await expect(specOf({ ...CLIP_CONFIG, size: { height: 224, width: 224 } })).rejects.toThrow(
      /shortest_edge/,
    );
    await expect(specOf({ ...CLIP_CONFIG, image_std: [1, 1] })).rejects.toThrow(ModelError);
    await expect(specOf({ ...CLIP_CONFIG, crop_size: 300 })).rejects.toThrow(/crop_size/);
  });

  it('names the file when it cannot be read', async () => {
    await writeFile(join(folder, 'preprocessor_config.json'), '{ not json');

    await expect(readPreprocessSpec(folder)).rejects.toThrow(/preprocessor_config\.json/);
  });
});
