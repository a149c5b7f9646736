import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ModelError, errorMessage } from '../core/errors.js';
import type { PreprocessSpec } from './embedder.js';

/** The subset of a Hugging Face image processor config that idx applies itself. */
interface ImageProcessorConfig {
  size?: number | { shortest_edge?: number };
  crop_size?: number | { height?: number; width?: number };
  image_mean?: number[];
  image_std?: number[];
  do_center_crop?: boolean;
  do_normalize?: boolean;
  do_rescale?: boolean;
  rescale_factor?: number;
}

/**
 * Reads `preprocessor_config.json` from a model folder and returns how idx must prepare
 * images for it. Only the CLIP recipe is supported (shortest-edge resize, centre crop,
 * rescale by 1/255, mean/std); a config that asks for anything else is refused instead of
 * being silently applied differently, since embeddings would then not match the model.
 *
 * @throws ModelError when the file is missing, not JSON, or not a CLIP-style config.
 */
export async function readPreprocessSpec(folder: string): Promise<PreprocessSpec> {
  const path = join(folder, 'preprocessor_config.json');
  const config = await readConfig(path);

  const problem = findProblem(config);
  if (problem !== undefined) {
    throw new ModelError(`Unsupported image preprocessing in ${path}: ${problem}.`);
  }

  const crop = config.crop_size ?? 0;

  return {
    shortestEdge: typeof config.size === 'number' ? config.size : (config.size?.shortest_edge ?? 0),
    cropWidth: typeof crop === 'number' ? crop : (crop.width ?? 0),
    cropHeight: typeof crop === 'number' ? crop : (crop.height ?? 0),
    mean: config.image_mean as [number, number, number],
    std: config.image_std as [number, number, number],
  };
}

async function readConfig(path: string): Promise<ImageProcessorConfig> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ImageProcessorConfig;
  } catch (err) {
    throw new ModelError(`Cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

function findProblem(config: ImageProcessorConfig): string | undefined {
  const shortestEdge = typeof config.size === 'number' ? config.size : config.size?.shortest_edge;
  if (!isPositiveInteger(shortestEdge)) {
    return 'size must be {"shortest_edge": N}';
  }

  const crop = config.crop_size;
  const cropSizes = typeof crop === 'number' ? [crop, crop] : [crop?.width, crop?.height];
  if (!cropSizes.every(isPositiveInteger) || config.do_center_crop === false) {
    return 'a centre crop with crop_size {"height": N, "width": N} is required';
  }

  if (cropSizes.some((size) => (size as number) > shortestEdge)) {
    return 'crop_size must not exceed size.shortest_edge';
  }

  const rescale = config.rescale_factor ?? 1 / 255;
  if (config.do_rescale === false || Math.abs(rescale - 1 / 255) > 1e-9) {
    return 'rescaling by 1/255 is required';
  }

  if (
    config.do_normalize === false ||
    !isTriple(config.image_mean) ||
    !isTriple(config.image_std)
  ) {
    return 'image_mean and image_std must each hold 3 numbers';
  }

  if (config.image_std.some((value) => value <= 0)) {
    return 'image_std values must be positive';
  }

  return undefined;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function isTriple(value: unknown): value is [number, number, number] {
  return Array.isArray(value) && value.length === 3 && value.every((item) => Number.isFinite(item));
}
