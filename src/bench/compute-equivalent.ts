import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { modelReference } from '../config/model-reference.js';
import { ModelError, errorMessage } from '../core/errors.js';
import type { Dtype, Logger } from '../core/types.js';
import {
  findMissingFiles,
  missingFilesError,
  resolveModelSource,
  visionFiles,
} from '../embed/model-source.js';

/** The `--model` value that selects the generated ViT-B/32-shaped model. */
export const COMPUTE_EQUIVALENT = 'compute-equivalent';

/** The generator, present in a clone of the repository (not in the published package). */
const GENERATOR = fileURLToPath(new URL('../../scripts/make-vit-b32.mjs', import.meta.url));

/** Where the generated model is kept, inside idx's model cache. */
export function computeEquivalentFolder(modelCacheDir: string): string {
  return path.join(modelCacheDir, 'compute-equivalent-vit-b32');
}

/**
 * The folder of the compute-equivalent model for `dtype`, generating it first when it is
 * missing (about 97 MB for q8, 350 MB for fp32; a few seconds). The model has the shapes
 * and cost of CLIP ViT-B/32's image tower and random weights: fit for timing, useless for
 * search.
 *
 * @throws ModelError when the generator is not available or fails.
 */
export async function ensureComputeEquivalent(
  modelCacheDir: string,
  dtype: Dtype,
  logger: Logger,
): Promise<string> {
  const folder = computeEquivalentFolder(modelCacheDir);
  const missing = visionFiles(dtype).filter((file) => !fs.existsSync(path.join(folder, file)));
  if (missing.length === 0) {
    return folder;
  }

  if (!fs.existsSync(GENERATOR)) {
    throw new ModelError(
      `The compute-equivalent model is not in ${folder} and its generator (scripts/make-vit-b32.mjs) is not installed; run idx bench from a clone of the repository, or pass --model <folder>.`,
    );
  }

  logger.info(`writing the compute-equivalent ${dtype} model into ${folder} (once)`);
  try {
    await promisify(execFile)(process.execPath, [GENERATOR, folder, '--dtype', dtype], {
      maxBuffer: 1 << 20,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new ModelError(
      `Could not write the compute-equivalent model into ${folder}: ${stderr || errorMessage(err)}`,
      { cause: err },
    );
  }

  return folder;
}

/**
 * The model the bench will load: the compute-equivalent folder (written when missing), or
 * the model as given. A folder or cached hub model whose files are missing fails here, in
 * milliseconds, before the bench scans any image or touches Redis.
 *
 * @throws ModelError naming the missing files and the fixes.
 */
export async function resolveBenchModel(
  model: string,
  opts: { dtype: Dtype; modelCacheDir: string; allowDownload: boolean; logger: Logger },
): Promise<string> {
  if (model === COMPUTE_EQUIVALENT) {
    return ensureComputeEquivalent(opts.modelCacheDir, opts.dtype, opts.logger);
  }

  const source = resolveModelSource(model, opts.modelCacheDir);
  const missing = findMissingFiles(source.folder, visionFiles(opts.dtype));
  const canDownload = source.hubId !== undefined && opts.allowDownload;
  if (missing.length > 0 && !canDownload) {
    throw missingFilesError(source, missing);
  }

  return modelReference(model);
}
