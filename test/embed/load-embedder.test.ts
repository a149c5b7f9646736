import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PRODUCTS } from '../support/cli.js';

import { ConfigError, ModelError } from '../../src/core/errors.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { DEFAULT_MODEL, loadEmbedder } from '../../src/embed/load-embedder.js';
import { preprocessImage } from '../../src/images/preprocess.js';

const TINY_CLIP = resolve('test/fixtures/tiny-clip');

/** One photo per category, so that every pair shows different products. */
const PHOTOS = [
  'shoes/07d88b75-85a4-407b-aa73-12294a2ff9a8.jpg',
  'bags/mb01-blue-0.jpg',
  'dairy-and-juice/Alpro-Blueberry-Soyghurt_001.jpg',
  'cameras/alexander-andrews-260988-unsplash.jpg',
  'fruit/Anjou_001.jpg',
  'dress/06a00c0f-5f9a-410d-a7da-3881a9df3a71.jpg',
  'watches/mg01-bk-0.jpg',
  'furniture/abel-y-costa-716024-unsplash.jpg',
].map((photo) => join(PRODUCTS, photo));

/**
 * The fp32 tiny model's embedding of PHOTOS[0], first components, frozen when the
 * preprocessing was written. A change here means images are prepared differently, so
 * embeddings already stored would no longer match new ones.
 */
const GOLDEN_SHOE = [-0.0336888, -0.0001363, 0.0066545, 0.0209511];

function cosine(left: Float32Array, right: Float32Array): number {
  return left.reduce((sum, value, index) => sum + value * right[index], 0);
}

function norm(vector: Float32Array): number {
  return Math.sqrt(cosine(vector, vector));
}

describe('loadEmbedder with the tiny CLIP folder', () => {
  let embedder: Embedder;
  let pixels: Float32Array[];

  beforeAll(async () => {
    embedder = await loadEmbedder({ model: TINY_CLIP, threads: 1 });

    const results = await Promise.all(
      PHOTOS.map((photo) => preprocessImage(photo, embedder.preprocess)),
    );
    pixels = results.map((result) => result.pixels);
  });

  afterAll(async () => {
    await embedder.close();
  });

  it('reports the model, its folder and the dimension read from the output', () => {
    expect(embedder.info).toMatchObject({
      model: TINY_CLIP,
      folder: TINY_CLIP,
      dtype: 'fp32',
      dimension: 512,
      threads: 1,
    });
    expect(embedder.preprocess).toEqual({
      shortestEdge: 224,
      cropWidth: 224,
      cropHeight: 224,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
    });
  });

  it('returns unit-length vectors', async () => {
    const vectors = await embedder.embedImages(pixels.slice(0, 3));

    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(512);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
  });

  it('gives the same vectors for a batch of 8 as for 8 single calls', async () => {
    const batch = await embedder.embedImages(pixels);
    const singles = await Promise.all(pixels.map(async (image) => embedder.embedImages([image])));

    batch.forEach((vector, index) => {
      const single = singles[index][0];
      const largest = vector.reduce(
        (max, value, at) => Math.max(max, Math.abs(value - single[at])),
        0,
      );

      expect(largest).toBeLessThan(1e-5);
    });
  });

  it('tells different product photos apart', async () => {
    const vectors = await embedder.embedImages(pixels);

    for (let left = 0; left < vectors.length; left += 1) {
      for (let right = left + 1; right < vectors.length; right += 1) {
        expect(cosine(vectors[left], vectors[right])).toBeLessThan(0.95);
      }
    }
  });

  it('matches the golden embedding of one product photo', async () => {
    const [vector] = await embedder.embedImages([pixels[0]]);

    GOLDEN_SHOE.forEach((expected, index) => {
      expect(Math.abs(vector[index] - expected)).toBeLessThan(1e-4);
    });
  });

  it('returns nothing for no images and rejects a tensor of the wrong size', async () => {
    expect(await embedder.embedImages([])).toEqual([]);
    await expect(embedder.embedImages([pixels[0], new Float32Array(10)])).rejects.toThrow(
      /image 1 has 10 values/,
    );
  });

  it('embeds texts into unit vectors', async () => {
    const vectors = await embedder.embedTexts(['a photo of a red shoe', 'a blue bag']);

    expect(vectors).toHaveLength(2);
    expect(norm(vectors[0])).toBeCloseTo(1, 5);
    expect(cosine(vectors[0], vectors[1])).toBeLessThan(0.99);
  });

  it('gives a text the same embedding whatever it is padded with in a batch', async () => {
    const [alone] = await embedder.embedTexts(['red shoes']);
    const [padded] = await embedder.embedTexts([
      'red shoes',
      'a much longer description of a white dress with a black hat and green pants',
    ]);
    const largest = alone.reduce(
      (max, value, at) => Math.max(max, Math.abs(value - padded[at])),
      0,
    );

    expect(largest).toBeLessThan(1e-5);
  });
});

describe('loadEmbedder options', () => {
  it('loads the q8 files and stays close to fp32', async () => {
    const fp32 = await loadEmbedder({ model: TINY_CLIP, threads: 1 });
    const q8 = await loadEmbedder({ model: TINY_CLIP, dtype: 'q8', threads: 1 });
    const { pixels } = await preprocessImage(PHOTOS[1], q8.preprocess);

    const [exact] = await fp32.embedImages([pixels]);
    const [quantized] = await q8.embedImages([pixels]);

    expect(q8.info).toMatchObject({ dtype: 'q8', dimension: 512 });
    expect(norm(quantized)).toBeCloseTo(1, 5);
    expect(cosine(exact, quantized)).toBeGreaterThan(0.99);
    expect((await q8.embedTexts(['a red shoe']))[0]).toHaveLength(512);

    await Promise.all([fp32.close(), q8.close()]);
  });

  it('accepts a folder relative to the working directory', async () => {
    const embedder = await loadEmbedder({ model: 'test/fixtures/tiny-clip', threads: 1 });

    expect(embedder.info.folder).toBe(TINY_CLIP);
    await embedder.close();
  });

  it('rejects an unknown dtype and a bad thread count with a ConfigError', async () => {
    const badDtype = { model: TINY_CLIP, dtype: 'fp16' as 'fp32' };

    await expect(loadEmbedder(badDtype)).rejects.toThrow(ConfigError);
    await expect(loadEmbedder({ model: TINY_CLIP, threads: 0 })).rejects.toThrow(ConfigError);
  });

  it('refuses to embed after close', async () => {
    const embedder = await loadEmbedder({ model: TINY_CLIP, threads: 1 });
    await embedder.close();

    await expect(embedder.embedImages([])).rejects.toThrow(/closed/);
  });
});

describe('loadEmbedder when files are missing', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'idx-model-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('fails fast, offline, for a hub id that is not cached', async () => {
    const started = performance.now();
    const loading = loadEmbedder({ model: DEFAULT_MODEL, cacheDir: join(workDir, 'cache') });

    await expect(loading).rejects.toThrow(ModelError);
    expect(performance.now() - started).toBeLessThan(2000);

    const message = await loading.catch((err: Error) => err.message);
    expect(message).toContain(DEFAULT_MODEL);
    expect(message).toContain(join(workDir, 'cache', 'Xenova', 'clip-vit-base-patch32'));
    expect(message).toContain('--model <folder>');
    expect(message).toContain('--allow-download');
  });

  it('lists the vision files a folder lacks', async () => {
    const folder = join(workDir, 'no-q8');
    await cp(TINY_CLIP, folder, {
      recursive: true,
      filter: (source) => !source.endsWith('vision_model_quantized.onnx'),
    });

    await expect(loadEmbedder({ model: folder, dtype: 'q8' })).rejects.toThrow(
      /missing onnx\/vision_model_quantized\.onnx/,
    );
  });

  it('loads without text files but names them on the first text', async () => {
    const folder = join(workDir, 'vision-only');
    await cp(TINY_CLIP, folder, {
      recursive: true,
      filter: (source) => !/tokenizer\.json$|text_model/.test(source),
    });

    const embedder = await loadEmbedder({ model: folder, threads: 1 });
    const texting = embedder.embedTexts(['a red shoe']);

    await expect(texting).rejects.toThrow(ModelError);
    await expect(texting).rejects.toThrow(/tokenizer\.json, onnx\/text_model\.onnx/);
    await embedder.close();
  });

  it('reports an unreadable ONNX file as a ModelError naming the folder', async () => {
    const folder = join(workDir, 'corrupt');
    await cp(TINY_CLIP, folder, { recursive: true });
    await writeFile(join(folder, 'onnx', 'vision_model.onnx'), 'not a model');

    await expect(loadEmbedder({ model: folder })).rejects.toThrow(ModelError);
    await expect(loadEmbedder({ model: folder })).rejects.toThrow(
      `Cannot load model "${folder}" from ${folder}`,
    );
  });

  it('says when a folder does not exist', async () => {
    await expect(loadEmbedder({ model: join(workDir, 'nowhere') })).rejects.toThrow(
      /Model folder not found/,
    );
  });
});
