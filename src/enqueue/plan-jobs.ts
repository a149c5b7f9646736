import path from 'node:path';

import { errorMessage } from '../core/errors.js';
import type { Dtype, ImageJob } from '../core/types.js';
import { inspectFile } from '../images/file-facts.js';
import { readManifest } from '../images/manifest.js';
import { hasImageExtension, scanPaths } from '../images/scan.js';
import { mapWithLimit } from '../util/concurrency.js';

/** Where the images come from: paths (folders, files, globs) and/or a manifest. */
export interface PlanInput {
  paths: string[];
  manifest?: string;
}

/** What every job gets from the command line. */
export interface JobSettings {
  model: string;
  dtype: Dtype;
  collection: string;
}

export interface Rejection {
  image: string;
  reason: string;
}

export interface JobPlan {
  jobs: ImageJob[];
  /** Inputs that cannot become jobs, each with a reason; counted as failed. */
  rejected: Rejection[];
  /** Inputs listed twice (same product and image); counted as skipped. */
  duplicates: Rejection[];
}

interface Source {
  productId: string;
  name: string;
  category: string;
  imagePath: string;
  imageKey: string;
  extra: Record<string, string>;
  /** False for files found by walking a folder, which are ignored unless they look like images. */
  named: boolean;
}

/**
 * Turns enqueue's arguments into jobs without decoding any image: each file is read once
 * for its sha256 and recognised by its first bytes. Files that are missing, unreadable,
 * empty or not images are rejected with a reason.
 */
export async function planJobs(
  input: PlanInput,
  settings: JobSettings,
  onInspected: (done: number, total: number) => void = () => {},
): Promise<JobPlan> {
  const rejected: Rejection[] = [];
  const sources = await collectSources(input, rejected);
  const { unique, duplicates } = dropDuplicates(sources);

  let inspected = 0;
  const jobs = await mapWithLimit(unique, 8, async (source) => {
    const job = await toJob(source, settings, rejected);
    onInspected(++inspected, unique.length);
    return job;
  });

  return { jobs: jobs.filter((job): job is ImageJob => job !== null), rejected, duplicates };
}

async function collectSources(input: PlanInput, rejected: Rejection[]): Promise<Source[]> {
  const sources: Source[] = [];

  if (input.manifest) {
    const { entries, problems } = await readManifest(input.manifest);
    problems.forEach((problem) =>
      rejected.push({
        image: problem.image || `${input.manifest}:${problem.line}`,
        reason: problem.reason,
      }),
    );
    sources.push(...entries.map((entry) => ({ ...entry, named: true })));
  }

  if (input.paths.length > 0) {
    const { candidates, misses } = await scanPaths(input.paths);
    misses.forEach((miss) => rejected.push({ image: miss.input, reason: miss.reason }));
    sources.push(
      ...candidates.map((found) => ({
        ...found,
        name: found.productId,
        category: '',
        extra: {},
      })),
    );
  }

  return sources;
}

function dropDuplicates(sources: Source[]): { unique: Source[]; duplicates: Rejection[] } {
  const seen = new Set<string>();
  const unique: Source[] = [];
  const duplicates: Rejection[] = [];

  for (const source of sources) {
    const key = `${source.productId}\u0000${source.imageKey}`;
    if (seen.has(key)) {
      duplicates.push({
        image: source.imagePath,
        reason: `listed twice for product ${source.productId}`,
      });
    } else {
      seen.add(key);
      unique.push(source);
    }
  }
  return { unique, duplicates };
}

async function toJob(
  source: Source,
  settings: JobSettings,
  rejected: Rejection[],
): Promise<ImageJob | null> {
  let facts;
  try {
    facts = await inspectFile(source.imagePath);
  } catch (err) {
    rejected.push({ image: source.imagePath, reason: errorMessage(err) });
    return null;
  }

  if (facts.sniff.kind === 'rejected') {
    // A folder's README or .DS_Store is not a failed image; a file named like one is.
    if (source.named || hasImageExtension(source.imagePath)) {
      rejected.push({ image: source.imagePath, reason: facts.sniff.reason });
    }
    return null;
  }

  return {
    productId: source.productId,
    name: source.name,
    category: source.category,
    imagePath: path.resolve(source.imagePath),
    imageKey: source.imageKey,
    size: facts.size,
    mtimeMs: facts.mtimeMs,
    sha256: facts.sha256,
    extra: source.extra,
    ...settings,
  };
}
