import { ConfigError, IdxError, ModelError, errorMessage } from '../core/errors.js';
import { silentLogger, type Dtype, type Logger } from '../core/types.js';
import { ClipEmbedder } from './clip-embedder.js';
import type { Embedder, PreprocessSpec } from './embedder.js';
import {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_HUB_URL,
  describeDownloadFailure,
} from './hub-fetch.js';
import {
  defaultCacheDir,
  findMissingFiles,
  missingFilesError,
  resolveModelSource,
  textFiles,
  visionFiles,
  type ModelSource,
} from './model-source.js';
import { readPreprocessSpec } from './preprocess-spec.js';
import { chooseThreads } from './threads.js';
import {
  configureTransformers,
  downloadPreprocessorConfig,
  loadTextTower,
  loadVisionTower,
  type TowerSettings,
  type VisionTower,
} from './towers.js';

/** The model idx uses when none is given: CLIP ViT-B/32 in ONNX form, 512-dimensional. */
export const DEFAULT_MODEL = 'Xenova/clip-vit-base-patch32';

export interface LoadEmbedderOptions {
  /**
   * A Hugging Face model id such as `Xenova/clip-vit-base-patch32`, or a folder in the CLIP
   * format (absolute, or relative to the working directory). An existing folder wins.
   */
  model: string;
  /** `fp32` (default) reads onnx/*_model.onnx; `q8` reads onnx/*_model_quantized.onnx. */
  dtype?: Dtype;
  /** ONNX intra-op threads per session. Default: all cores (see `chooseThreads`). */
  threads?: number;
  /** Allow downloading a hub model that is not cached yet. Default false: no network. */
  allowDownload?: boolean;
  /** Where hub models are cached. Default `IDX_MODEL_CACHE`, else `~/.cache/idx/models`. */
  cacheDir?: string;
  /** Hub address for downloads (a mirror, or a test server). Default https://huggingface.co/. */
  hubUrl?: string;
  /** A download fails when the hub sends nothing for this long, in ms. Default 10000. */
  downloadTimeoutMs?: number;
  /** Receives progress lines. Default: silent. */
  logger?: Logger;
}

const DTYPES: readonly Dtype[] = ['fp32', 'q8'];

/**
 * Loads a CLIP model's vision tower (the text tower follows on first `embedTexts`) and
 * returns an {@link Embedder}. Local folders are used in place, never copied.
 *
 * Without `allowDownload` the network is never touched: a hub id that is not in the cache
 * fails at once with a ModelError naming the folder looked in and the fixes.
 *
 * @throws ConfigError for an invalid option; ModelError when the model cannot be found,
 *   downloaded or loaded.
 */
export async function loadEmbedder(opts: LoadEmbedderOptions): Promise<Embedder> {
  const started = performance.now();
  const logger = opts.logger ?? silentLogger;
  const dtype = opts.dtype ?? 'fp32';
  const allowDownload = opts.allowDownload ?? false;

  if (!DTYPES.includes(dtype)) {
    throw new ConfigError(`dtype must be one of ${DTYPES.join(', ')} (got "${dtype}")`);
  }

  const threads = chooseThreads({ threads: opts.threads });
  const source = resolveModelSource(opts.model, opts.cacheDir ?? defaultCacheDir());
  const settings = towerSettings(source, visionFiles(dtype), { dtype, threads, allowDownload });
  const runtime = {
    allowDownload,
    hubUrl: opts.hubUrl ?? DEFAULT_HUB_URL,
    downloadTimeoutMs: opts.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
  };

  if (!(runtime.downloadTimeoutMs > 0)) {
    throw new ConfigError(`downloadTimeoutMs must be positive (got ${runtime.downloadTimeoutMs})`);
  }

  configureTransformers(runtime);
  logger.debug(
    `model ${source.model}: loading ${settings.reference} (${dtype}, ${threads} threads)`,
  );

  const { vision, preprocess } = await withModelErrors(source, settings.download, () =>
    loadVision(settings),
  );
  const dimension = await withModelErrors(source, false, () =>
    probeDimension(vision, preprocess),
  ).catch(async (err: unknown) => {
    await vision.dispose();
    throw err;
  });
  const loadMs = Math.round(performance.now() - started);

  logger.info(`model ${source.model} loaded from ${source.folder} in ${loadMs} ms`);

  return new ClipEmbedder({
    info: { model: source.model, folder: source.folder, dtype, dimension, loadMs, threads },
    preprocess,
    vision,
    loadTextTower: () => {
      const textSettings = towerSettings(source, textFiles(dtype), settings);

      // Another load may have changed the process-wide settings since this one.
      configureTransformers(runtime);
      return withModelErrors(source, textSettings.download, () => loadTextTower(textSettings));
    },
  });
}

/**
 * Where transformers.js must load from: the folder when every file is there, the hub id
 * when some must be downloaded and that is allowed; otherwise the load fails here, before
 * transformers.js could try the network.
 */
function towerSettings(
  source: ModelSource,
  files: string[],
  opts: Pick<TowerSettings, 'dtype' | 'threads' | 'allowDownload'>,
): TowerSettings {
  const missing = findMissingFiles(source.folder, files);
  const canDownload = source.hubId !== undefined && opts.allowDownload;

  if (missing.length > 0 && !canDownload) {
    throw missingFilesError(source, missing);
  }

  const download = missing.length > 0;
  const reference = download ? (source.hubId as string) : source.folder;

  return { ...opts, reference, download, folder: source.folder, cacheDir: source.cacheDir };
}

async function loadVision(
  settings: TowerSettings,
): Promise<{ vision: VisionTower; preprocess: PreprocessSpec }> {
  // The small JSON file first: an unreachable hub then fails before any large download.
  if (settings.download) {
    await downloadPreprocessorConfig(settings);
  }

  const preprocess = await readPreprocessSpec(settings.folder);
  const vision = await loadVisionTower(settings);

  return { vision, preprocess };
}

/**
 * Runs one blank image through the vision tower: this reads the embedding size from the
 * model's real output and warms the session up, so the first real batch is not slower.
 */
async function probeDimension(vision: VisionTower, preprocess: PreprocessSpec): Promise<number> {
  const { cropWidth, cropHeight } = preprocess;
  const blank = new Float32Array(3 * cropWidth * cropHeight);
  const output = await vision.run(blank, 1, cropHeight, cropWidth);
  const [rows, dimension] = output.dims;

  if (output.dims.length !== 2 || rows !== 1 || !(dimension > 0)) {
    throw new Error(`image_embeds has shape [${output.dims.join(', ')}]; expected [1, N]`);
  }

  return dimension;
}

/**
 * Maps transformers.js and ONNX Runtime failures to a ModelError naming the model; while
 * `downloading`, network failures are described as such.
 */
async function withModelErrors<T>(
  source: ModelSource,
  downloading: boolean,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof IdxError) {
      throw err;
    }

    throw new ModelError(describeLoadFailure(source, downloading, err), { cause: err });
  }
}

function describeLoadFailure(source: ModelSource, downloading: boolean, err: unknown): string {
  if (downloading && isDownloadFailure(err)) {
    return [
      `Cannot download model "${source.hubId}" into ${source.folder}:`,
      `${describeDownloadFailure(err)}.`,
      'Fix: check the model id and that this machine can reach the hub,',
      'or pass --model <folder> with a CLIP-format model folder.',
    ].join(' ');
  }

  return `Cannot load model "${source.model}" from ${source.folder}: ${errorMessage(err)}`;
}

function isDownloadFailure(err: unknown): boolean {
  const message = errorMessage(err);
  const status = (err as { status?: unknown }).status;

  return (
    typeof status === 'number' ||
    err instanceof TypeError ||
    /fetch failed|no response from|stalled|Could not locate|access to file/i.test(message)
  );
}
