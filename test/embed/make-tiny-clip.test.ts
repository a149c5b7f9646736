import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = resolve('scripts/make-tiny-clip.mjs');
const FIXTURE = resolve('test/fixtures/tiny-clip');

const EXPECTED_FILES = [
  'config.json',
  'onnx/text_model.onnx',
  'onnx/text_model_quantized.onnx',
  'onnx/vision_model.onnx',
  'onnx/vision_model_quantized.onnx',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

/** openai/clip-vit-base-patch32's preprocessor_config.json, key for key. */
const CLIP_PREPROCESSOR = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  feature_extractor_type: 'CLIPFeatureExtractor',
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: 'CLIPImageProcessor',
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });

  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

async function readJson(folder: string, file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(folder, file), 'utf8')) as Record<string, unknown>;
}

describe('scripts/make-tiny-clip.mjs', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'idx-tiny-clip-'));

    await run(process.execPath, [SCRIPT, join(workDir, 'first')]);
    await run(process.execPath, [SCRIPT, join(workDir, 'second')]);
    await run(process.execPath, [SCRIPT, join(workDir, 'other-seed'), '--seed', '7']);
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('writes the CLIP folder layout', async () => {
    expect(await listFiles(join(workDir, 'first'))).toEqual(EXPECTED_FILES);
  });

  it('is byte-identical across runs with the same seed', async () => {
    for (const file of EXPECTED_FILES) {
      const first = await readFile(join(workDir, 'first', file));
      const second = await readFile(join(workDir, 'second', file));

      expect(first.equals(second), file).toBe(true);
    }
  });

  it('draws different weights for another seed', async () => {
    const first = await readFile(join(workDir, 'first', 'onnx/vision_model.onnx'));
    const other = await readFile(join(workDir, 'other-seed', 'onnx/vision_model.onnx'));

    expect(first.equals(other)).toBe(false);
  });

  it('matches the committed fixture', async () => {
    for (const file of EXPECTED_FILES) {
      const generated = await readFile(join(workDir, 'first', file));
      const committed = await readFile(join(FIXTURE, file));

      expect(generated.equals(committed), `${file}: rerun npm run tiny-clip`).toBe(true);
    }
  });

  it('stays well under 2 MB', async () => {
    const sizes = await Promise.all(
      EXPECTED_FILES.map(async (file) => (await stat(join(workDir, 'first', file))).size),
    );

    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThan(1_200_000);
  });

  it('writes the preprocessor config of openai/clip-vit-base-patch32', async () => {
    expect(await readJson(join(workDir, 'first'), 'preprocessor_config.json')).toEqual(
      CLIP_PREPROCESSOR,
    );
  });

  it('writes a tokenizer config that allows padding and truncation', async () => {
    const config = await readJson(join(workDir, 'first'), 'tokenizer_config.json');

    expect(config).toMatchObject({
      tokenizer_class: 'CLIPTokenizer',
      model_max_length: 77,
      pad_token: '<|endoftext|>',
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
    });
  });

  it('writes a CLIP model config and a byte-level BPE tokenizer', async () => {
    const config = await readJson(join(workDir, 'first'), 'config.json');
    const tokenizer = await readJson(join(workDir, 'first'), 'tokenizer.json');
    const model = tokenizer.model as { type: string; vocab: Record<string, number> };

    expect(config).toMatchObject({ model_type: 'clip', projection_dim: 512 });
    expect(model.type).toBe('BPE');
    expect(model.vocab['a</w>']).toBe(320);
    expect(model.vocab['photo</w>']).toBeGreaterThan(511);
  });

  it('rejects a missing output folder', async () => {
    await expect(run(process.execPath, [SCRIPT])).rejects.toMatchObject({ code: 2 });
  });
});
