import type { Dtype } from '../core/types.js';

/**
 * How the model wants its input images: read from the model's preprocessor_config.json and
 * applied with sharp (shortest-edge resize, centre crop, rescale, mean/std).
 */
export interface PreprocessSpec {
  /** Resize so the shorter side is this many pixels (`size.shortest_edge`). */
  shortestEdge: number;
  /** Centre-crop to this size (`crop_size`). */
  cropWidth: number;
  cropHeight: number;
  /** Per-channel mean and standard deviation, RGB order, after rescaling to 0..1. */
  mean: [number, number, number];
  std: [number, number, number];
}

/** The preprocessed pixels of one image: CHW float32, `3 * cropHeight * cropWidth` values. */
export type PixelTensor = Float32Array;

/** Where the model came from and what it produces. */
export interface ModelInfo {
  /** The id or folder the user asked for. */
  model: string;
  /** The folder the files were loaded from. */
  folder: string;
  dtype: Dtype;
  /** Length of every embedding. */
  dimension: number;
  /** Wall time to load both towers' sessions, in milliseconds. */
  loadMs: number;
  /** ONNX intra-op threads per session. */
  threads: number;
}

/**
 * Turns preprocessed images and texts into L2-normalised embeddings with one CLIP model.
 * Create with `loadEmbedder` (src/embed/load-embedder.ts).
 */
export interface Embedder {
  readonly info: ModelInfo;
  readonly preprocess: PreprocessSpec;

  /** One embedding per input tensor, in order, each L2-normalised. */
  embedImages(pixels: PixelTensor[]): Promise<Float32Array[]>;

  /** One embedding per text, in order, each L2-normalised (loads the text tower on first use). */
  embedTexts(texts: string[]): Promise<Float32Array[]>;

  /** Releases the ONNX sessions. */
  close(): Promise<void>;
}
