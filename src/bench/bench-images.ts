import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ConfigError } from '../core/errors.js';
import type { ImageJob } from '../core/types.js';
import { type JobSettings, planJobs } from '../enqueue/plan-jobs.js';

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
  /** Distinct image files found. */
  files: number;
  /** Jobs, `count` long; repeated files get their own keys, so each is a new point. */
  jobs: ImageJob[];
}

/**
 * Plans jobs for every image in `folder` (recursively), in path order, then repeats or cuts
 * the list to `count` items (default: at least {@link DEFAULT_MIN_ITEMS}). A repeated image gets `#<copy>` on its key, so its job id and
 * point id differ and no repeat is deduplicated or skipped as unchanged.
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
  const files = plan.jobs.sort((a, b) => a.imagePath.localeCompare(b.imagePath));
  if (files.length === 0) {
    throw new ConfigError(
      `--images ${folder} holds no image idx can read; pass another --images folder.`,
    );
  }

  const total = count ?? Math.max(files.length, DEFAULT_MIN_ITEMS);
  const jobs = Array.from({ length: total }, (_, index) =>
    copyOf(files[index % files.length], Math.floor(index / files.length)),
  );

  return { folder, files: files.length, jobs };
}

/** A job for the same image under another key; copy 0 is the job itself. */
export function copyOf(job: ImageJob, copy: number | string): ImageJob {
  if (copy === 0) {
    return job;
  }

  return { ...job, imageKey: `${job.imageKey}#${copy}` };
}
