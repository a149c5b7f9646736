/**
 * The model on its own thread gives the same vectors as in this thread, and its errors
 * come back as the classes callers act on. Runs the built module (`npm test` builds
 * first), because the thread loads compiled JavaScript.
 */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ModelError } from '../../src/core/errors.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { preprocessImage } from '../../src/images/preprocess.js';
import { PRODUCTS, ROOT, TINY_CLIP } from '../support/cli.js';

const built = path.join(ROOT, 'dist/embed/threaded-embedder.js');
const { ThreadedEmbedder } = (await import(
  built
)) as typeof import('../../src/embed/threaded-embedder.js');
const { ModelError: BuiltModelError } = (await import(path.join(ROOT, 'dist/core/errors.js'))) as {
  ModelError: typeof ModelError;
};

describe('ThreadedEmbedder', () => {
  it('embeds images and texts exactly as the in-thread embedder does', async () => {
    const local = await loadEmbedder({ model: TINY_CLIP });
    const threaded = await ThreadedEmbedder.start({ model: TINY_CLIP });
    const files = ['bags/mb01-blue-0.jpg', 'hat/2a12baab-f020-42e3-8e6b-5d82e3ed0b55.jpg'];
    const pixels = await Promise.all(
      files.map(
        async (file) => (await preprocessImage(path.join(PRODUCTS, file), local.preprocess)).pixels,
      ),
    );

    const expected = await local.embedImages(pixels);
    const actual = await threaded.embedImages(pixels.map((p) => p.slice()));
    const [text] = await threaded.embedTexts(['a blue bag']);

    expect(threaded.info).toMatchObject({ dimension: 512, dtype: 'fp32' });
    expect(actual.map((v) => Array.from(v))).toEqual(expected.map((v) => Array.from(v)));
    expect(Array.from(text)).toEqual(Array.from((await local.embedTexts(['a blue bag']))[0]));
    await Promise.all([local.close(), threaded.close()]);
    await expect(threaded.embedTexts(['x'])).rejects.toThrow(/closed/);
  });

  it('reports a model it cannot load as a ModelError naming the folder', async () => {
    const error = await ThreadedEmbedder.start({ model: '/nonexistent/clip' }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(BuiltModelError);
    expect((error as Error).message).toMatch(/\/nonexistent\/clip/);
  });
});
