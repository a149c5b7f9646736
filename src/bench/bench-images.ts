import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ConfigError, errorMessage } from '../core/errors.js';
import type { ImageJob } from '../core/types.js';
import type { PreprocessSpec } from '../embed/embedder.js';
import { type JobSettings, type Rejection, planJobs } from '../enqueue/plan-jobs.js';
import { preprocessImage } from '../images/preprocess.js';
import { mapWithLimit } from '../util/concurrency.js';

/**
 * The product photos shipped beside this repository (`../shared/datasets/products` from
 * the package root), when they are there.
 */
export function defaultImagesFolder(): string | undefined {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const folder = path.resolve(root, '../shared/datasets/products');

  return fs.existsSync(folder) ? folder : undefined;
}

/**
 * Items per run when --count is not given: every image at least once, repeated up to this
 * many. With the 297 product photos alone, a queued run of the q8 model lasted 5-6 s, of
 * which starting up and draining the last batches took a tenth; at 1000 items the rate is
 * the steady one.
 */
export const DEFAULT_MIN_ITEMS = 1000;

/** The bench's workload: K jobs over the images of one folder. */
export interface BenchImages {
  folder: string;
  /** Distinct image files the jobs use (fewer than found when --count cuts the list). */
  files: number;
  /** Jobs, `count` long; repeated files get their own keys, so each is a new point. */
  jobs: ImageJob[];
  /** Files of the folder left out, with the reason: not images, or they do not decode. */
  leftOut: Rejection[];
}

/**
 * Any CLIP geometry tells whether a file decodes; the bench checks before it loads a model.
 * Sizes and statistics of ViT-B/32's preprocessor.
 */
const CHECK_SPEC: PreprocessSpec = {
  shortestEdge: 224,
  cropWidth: 224,
  cropHeight: 224,
  mean: [0.4815, 0.4578, 0.4082],
  std: [0.2686, 0.2613, 0.2758],
};

/**
 * Plans jobs for every image in `folder` (recursively), in path order, then repeats or cuts
 * the list to `count` items (default: at least {@link DEFAULT_MIN_ITEMS}). A repeated image
 * gets `#<copy>` on its key, so its job id and point id differ and no repeat is deduplicated
 * or skipped as unchanged. Files that are not images or do not decode are left out, each
 * with its reason.
 *
 * @throws ConfigError when the folder is missing or holds no image.
 */
export async function collectBenchImages(
  folder: string,
  settings: JobSettings,
  count?: number,
): Promise<BenchImages> {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new ConfigError(`--images ${folder} is not a folder; pass --images <folder of images>.`);
  }

  const plan = await planJobs({ paths: [folder] }, settings);
  const leftOut = [...plan.rejected];
  const planned = plan.jobs.sort((a, b) => a.imagePath.localeCompare(b.imagePath));
  const files = await keepDecodable(planned, leftOut);
  if (files.length === 0) {
    const why = leftOut.length > 0 ? ` (${leftOut[0].image}: ${leftOut[0].reason})` : '';
    throw new ConfigError(
      `--images ${folder} holds no image idx can read${why}; pass another --images folder.`,
    );
  }

  const total = count ?? Math.max(files.length, DEFAULT_MIN_ITEMS);
  const jobs = Array.from({ length: total }, (_, index) =>
    copyOf(files[index % files.length], Math.floor(index / files.length)),
  );

  const used = new Set(jobs.map((job) => job.imagePath)).size;
  return { folder, files: used, jobs, leftOut };
}

/**
 * Decodes every file once and keeps those that decode. A bad file would otherwise stop the
 * limit measurement, which decodes the same files over and over; in the pipeline it would
 * only be one failed job, but then the runs would not measure the same work.
 */
async function keepDecodable(jobs: ImageJob[], leftOut: Rejection[]): Promise<ImageJob[]> {
  const decodes = await mapWithLimit(jobs, 4, async (job) => {
    try {
      await preprocessImage(job.imagePath, CHECK_SPEC);
      return true;
    } catch (err) {
      leftOut.push({ image: job.imagePath, reason: errorMessage(err) });
      return false;
    }
  });
  return jobs.filter((_, index) => decodes[index]);
}

/** A job for the same image under another key; copy 0 is the job itself. */
export function copyOf(job: ImageJob, copy: number | string): ImageJob {
  if (copy === 0) {
    return job;
  }

  return { ...job, imageKey: `${job.imageKey}#${copy}` };
}
