/**
 * The only module that talks to transformers.js: global settings, and loading the two CLIP
 * towers and the tokenizer. Everything else in idx sees typed functions and plain arrays.
 */
import {
  AutoImageProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  LogLevel,
  Tensor,
  env,
} from '@huggingface/transformers';

import type { Dtype } from '../core/types.js';
import { createTimeoutFetch, type FetchFunction } from './hub-fetch.js';

/** How the towers are loaded; shared by the vision tower and the lazily loaded text tower. */
export interface TowerSettings {
  /** An absolute model folder, or a hub id when files still have to be downloaded. */
  reference: string;
  /** True when `reference` is a hub id whose missing files are to be downloaded. */
  download: boolean;
  /** The folder the files are in, or are downloaded into. */
  folder: string;
  dtype: Dtype;
  threads: number;
  allowDownload: boolean;
  cacheDir: string;
}

/** A loaded vision tower: preprocessed pixels in, one unnormalised row per image out. */
export interface VisionTower {
  run(pixels: Float32Array, batch: number, height: number, width: number): Promise<TowerOutput>;
  dispose(): Promise<void>;
}

/** A loaded text tower with its tokenizer. */
export interface TextTower {
  run(texts: string[]): Promise<TowerOutput>;
  dispose(): Promise<void>;
}

/** A row-major [rows, dimension] float32 output. */
export interface TowerOutput {
  data: Float32Array;
  dims: number[];
}

/** What transformers.js model objects look like to idx; their own typings are `any` here. */
interface CallableModel {
  (inputs: Record<string, unknown>): Promise<Record<string, Tensor | undefined>>;
  dispose(): Promise<unknown>;
}

type Tokenizer = (
  texts: string[],
  opts: { padding: boolean; truncation: boolean },
) => Record<string, Tensor>;

let defaultFetch: FetchFunction | undefined;

/**
 * Applies the process-wide transformers.js settings for one load. Remote models are off
 * unless asked for; when on, fetch gets a timeout so that a silent host cannot hang the
 * load for Node's default 300 s. Its own console logging is limited to errors, since idx
 * reports through its logger.
 *
 * Limitation: `env` is global, so two loads in one process with different download
 * settings affect each other. Every call also passes `local_files_only` for that reason.
 */
export function configureTransformers(opts: {
  allowDownload: boolean;
  hubUrl: string;
  downloadTimeoutMs: number;
}): void {
  defaultFetch ??= env.fetch as FetchFunction;

  env.allowRemoteModels = opts.allowDownload;
  env.allowLocalModels = true;
  env.logLevel = LogLevel.ERROR;
  env.remoteHost = opts.hubUrl.endsWith('/') ? opts.hubUrl : `${opts.hubUrl}/`;
  env.fetch = opts.allowDownload
    ? createTimeoutFetch(opts.downloadTimeoutMs, defaultFetch)
    : defaultFetch;
}

export async function loadVisionTower(settings: TowerSettings): Promise<VisionTower> {
  const model = (await CLIPVisionModelWithProjection.from_pretrained(
    settings.reference,
    modelOptions(settings),
  )) as unknown as CallableModel;

  return {
    async run(pixels, batch, height, width) {
      const pixelValues = new Tensor('float32', pixels, [batch, 3, height, width]);
      const outputs = await model({ pixel_values: pixelValues });

      return readOutput(outputs, 'image_embeds');
    },
    async dispose() {
      await model.dispose();
    },
  };
}

export async function loadTextTower(settings: TowerSettings): Promise<TextTower> {
  const tokenizer = (await AutoTokenizer.from_pretrained(
    settings.reference,
    fileOptions(settings),
  )) as unknown as Tokenizer;
  const model = (await CLIPTextModelWithProjection.from_pretrained(
    settings.reference,
    modelOptions(settings),
  )) as unknown as CallableModel;

  return {
    async run(texts) {
      // Padding to the longest text is harmless: CLIP pools at the end-of-text token.
      const inputs = tokenizer(texts, { padding: true, truncation: true });
      const outputs = await model(inputs);

      return readOutput(outputs, 'text_embeds');
    },
    async dispose() {
      await model.dispose();
    },
  };
}

/** Downloads preprocessor_config.json into the cache; idx then reads it from there. */
export async function downloadPreprocessorConfig(settings: TowerSettings): Promise<void> {
  await AutoImageProcessor.from_pretrained(settings.reference, fileOptions(settings));
}

function fileOptions(settings: TowerSettings) {
  return { cache_dir: settings.cacheDir, local_files_only: !settings.allowDownload };
}

function modelOptions(settings: TowerSettings) {
  return {
    ...fileOptions(settings),
    dtype: settings.dtype,
    device: 'cpu' as const,
    session_options: {
      intraOpNumThreads: settings.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential' as const,
      // Idle ORT threads would otherwise busy-wait and take CPU from concurrent decoding.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    },
  };
}

function readOutput(outputs: Record<string, Tensor | undefined>, name: string): TowerOutput {
  const tensor = outputs[name];

  if (tensor === undefined) {
    throw new Error(`the model has no "${name}" output (is it a CLIP model with projection?)`);
  }

  return { data: tensor.data as Float32Array, dims: tensor.dims };
}
