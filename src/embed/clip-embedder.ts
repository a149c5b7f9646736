import type { Embedder, ModelInfo, PixelTensor, PreprocessSpec } from './embedder.js';
import { normalizeRows } from './normalize.js';
import type { TextTower, TowerOutput, VisionTower } from './towers.js';

/** What a ClipEmbedder is built from; `loadEmbedder` assembles it. */
export interface ClipEmbedderParts {
  info: ModelInfo;
  preprocess: PreprocessSpec;
  vision: VisionTower;
  /** Loads the text tower; called once, on the first `embedTexts`. */
  loadTextTower: () => Promise<TextTower>;
}

/**
 * A CLIP model behind the {@link Embedder} interface. Images go through the vision tower in
 * one batch per call; the text tower is loaded only when a text is first embedded, since
 * indexing never needs it.
 */
export class ClipEmbedder implements Embedder {
  readonly info: ModelInfo;
  readonly preprocess: PreprocessSpec;

  private readonly vision: VisionTower;
  private readonly loadTextTower: () => Promise<TextTower>;
  private text: Promise<TextTower> | undefined;
  private closed = false;

  constructor(parts: ClipEmbedderParts) {
    this.info = parts.info;
    this.preprocess = parts.preprocess;
    this.vision = parts.vision;
    this.loadTextTower = parts.loadTextTower;
  }

  async embedImages(pixels: PixelTensor[]): Promise<Float32Array[]> {
    this.assertOpen();

    if (pixels.length === 0) {
      return [];
    }

    const { cropWidth, cropHeight } = this.preprocess;
    const batch = stackImages(pixels, 3 * cropWidth * cropHeight);
    const output = await this.vision.run(batch, pixels.length, cropHeight, cropWidth);

    return this.toVectors(output, pixels.length);
  }

  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    this.assertOpen();

    if (texts.length === 0) {
      return [];
    }

    // A failed load is not cached, so a later call can retry (e.g. after a download).
    this.text ??= this.loadTextTower().catch((err: unknown) => {
      this.text = undefined;
      throw err;
    });
    const tower = await this.text;
    const output = await tower.run(texts);

    return this.toVectors(output, texts.length);
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }

    this.closed = true;
    const text = await this.text?.catch(() => undefined);

    await Promise.all([this.vision.dispose(), text?.dispose()]);
  }

  private toVectors(output: TowerOutput, rows: number): Float32Array[] {
    const [outputRows, dimension] = output.dims;
    const expected = this.info.dimension;

    if (output.dims.length !== 2 || outputRows !== rows || dimension !== expected) {
      const shape = output.dims.join(', ');
      throw new Error(`model output has shape [${shape}]; expected [${rows}, ${expected}]`);
    }

    return normalizeRows(output.data, rows, dimension);
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error('the embedder has been closed');
    }
  }
}

/** Copies the images into one [batch, 3, height, width] buffer, checking each one's size. */
function stackImages(pixels: PixelTensor[], imageLength: number): Float32Array {
  if (pixels.length === 1 && pixels[0].length === imageLength) {
    return pixels[0];
  }

  const batch = new Float32Array(pixels.length * imageLength);

  pixels.forEach((image, index) => {
    if (image.length !== imageLength) {
      throw new RangeError(
        `image ${index} has ${image.length} values; the model takes ${imageLength} (3 x crop size)`,
      );
    }

    batch.set(image, index * imageLength);
  });

  return batch;
}
