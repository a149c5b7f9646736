import {
  BadImageError,
  ConfigError,
  IdxError,
  ModelError,
  PermanentError,
  StoreError,
  errorMessage,
} from '../core/errors.js';
import type { ImageJob, Outcome, StoredPoint } from '../core/types.js';
import type { Embedder } from '../embed/embedder.js';
import { readImageFile, sha256Of } from '../images/file-facts.js';
import { preprocessImage } from '../images/preprocess.js';
import { pointIdFor } from '../store/point-id.js';
import type { VectorStore } from '../store/vector-store.js';
import { mapWithLimit } from '../util/concurrency.js';
import type { CollectionGuard } from './collection-guard.js';
import type { EmbedderPool } from './embedder-pool.js';

/** What the pipeline needs; built once per process. */
export interface PipelineDeps {
  embedders: EmbedderPool;
  store: VectorStore;
  collections: CollectionGuard;
  /** Images decoded at once on libuv's pool. Default 4. */
  decodeConcurrency?: number;
}

/** Milliseconds spent in each stage of one batch, summed over its images. */
export interface StageTimings {
  read: number;
  decode: number;
  embed: number;
  upsert: number;
}

export interface BatchResult {
  /** One outcome per job, in input order. */
  outcomes: Outcome[];
  timings: StageTimings;
  /** Images that went through the model in this batch. */
  embedded: number;
}

interface Pending {
  index: number;
  job: ImageJob;
  pointId: string;
  sha256: string;
  pixels?: Float32Array;
  /** Said about an image indexed in part: the first frame of an animation, page of a TIFF. */
  note?: string;
}

/**
 * Indexes a batch of images: skip the unchanged, decode the rest, embed them in one model
 * call, upsert them in one write. Bad images and configuration problems become failed
 * outcomes; a transient store fault is thrown so the caller can retry the whole batch.
 *
 * All jobs of a batch must share collection, model and dtype (see {@link groupJobs}).
 */
export async function indexBatch(jobs: ImageJob[], deps: PipelineDeps): Promise<BatchResult> {
  const outcomes = new Array<Outcome>(jobs.length);
  const timings: StageTimings = { read: 0, decode: 0, embed: 0, upsert: 0 };
  if (jobs.length === 0) {
    return { outcomes, timings, embedded: 0 };
  }

  const { model, dtype, collection } = jobs[0];
  let embedder: Embedder;
  try {
    embedder = await deps.embedders.get(model, dtype);
    await deps.collections.ensure({
      name: collection,
      model,
      dimension: embedder.info.dimension,
    });
  } catch (err) {
    return { outcomes: failAll(jobs, err), timings, embedded: 0 };
  }

  const fresh = await readAndSkipUnchanged(jobs, deps.store, outcomes, timings);
  const decoded = await decode(fresh, embedder, deps.decodeConcurrency ?? 4, outcomes, timings);
  if (decoded.length === 0) {
    return { outcomes, timings, embedded: 0 };
  }

  let started = performance.now();
  const vectors = await embedder.embedImages(decoded.map((item) => item.pixels!));
  timings.embed += performance.now() - started;

  started = performance.now();
  const points = decoded.map((item, i) => toPoint(item, vectors[i]));
  try {
    await deps.store.upsertPoints(collection, points);
  } catch (err) {
    if (!(
      err instanceof PermanentError ||
      err instanceof StoreError ||
      err instanceof ConfigError
    )) {
      throw err;
    }
    decoded.forEach((item) => (outcomes[item.index] = failed(err)));
    return { outcomes, timings, embedded: decoded.length };
  }
  timings.upsert += performance.now() - started;

  decoded.forEach((item) => {
    const { pointId, note } = item;
    outcomes[item.index] = note
      ? { status: 'indexed', pointId, note }
      : { status: 'indexed', pointId };
  });
  return { outcomes, timings, embedded: decoded.length };
}

/** Splits jobs into runs that share collection, model and dtype, keeping their indexes. */
export function groupJobs(jobs: ImageJob[]): { indexes: number[]; jobs: ImageJob[] }[] {
  const groups = new Map<string, { indexes: number[]; jobs: ImageJob[] }>();
  jobs.forEach((job, index) => {
    const key = `${job.collection}\u0000${job.model}\u0000${job.dtype}`;
    const group = groups.get(key) ?? { indexes: [], jobs: [] };
    group.indexes.push(index);
    group.jobs.push(job);
    groups.set(key, group);
  });
  return [...groups.values()];
}

// Re-reads each file (it may have changed since enqueue) and skips those whose bytes are
// already stored with this model.
async function readAndSkipUnchanged(
  jobs: ImageJob[],
  store: VectorStore,
  outcomes: Outcome[],
  timings: StageTimings,
): Promise<Array<Pending & { bytes: Buffer }>> {
  const started = performance.now();
  const ids = jobs.map((job) => pointIdFor(job.productId, job.imageKey));
  const digests = await store.getDigests(jobs[0].collection, ids);

  const read = await mapWithLimit(jobs, 8, async (job, index) => {
    try {
      const bytes = await readImageFile(job.imagePath);
      return { index, job, pointId: ids[index], sha256: sha256Of(bytes), bytes };
    } catch (err) {
      outcomes[index] = failed(err);
      return null;
    }
  });
  timings.read += performance.now() - started;

  return read.filter((item): item is Pending & { bytes: Buffer } => {
    if (!item) {
      return false;
    }
    const digest = digests.get(item.pointId);
    if (digest && digest.sha256 === item.sha256 && digest.model === item.job.model) {
      outcomes[item.index] = {
        status: 'skipped',
        pointId: item.pointId,
        reason: 'unchanged: this image is already stored with this model',
      };
      return false;
    }
    return true;
  });
}

async function decode(
  items: Array<Pending & { bytes: Buffer }>,
  embedder: Embedder,
  concurrency: number,
  outcomes: Outcome[],
  timings: StageTimings,
): Promise<Pending[]> {
  const decoded = await mapWithLimit(items, concurrency, async (item) => {
    const started = performance.now();
    try {
      const result = await preprocessImage(item.bytes, embedder.preprocess);
      return { ...item, bytes: undefined, pixels: result.pixels, note: partNote(result) };
    } catch (err) {
      // Whatever the decoder throws, the image is the cause; retrying would not help.
      outcomes[item.index] = failed(
        err instanceof IdxError ? err : new BadImageError(`cannot decode: ${errorMessage(err)}`),
      );
      return null;
    } finally {
      timings.decode += performance.now() - started;
    }
  });
  return decoded.filter((item): item is NonNullable<typeof item> => item !== null);
}

function toPoint(item: Pending, vector: Float32Array): StoredPoint {
  const { job } = item;
  return {
    id: item.pointId,
    vector,
    payload: {
      productId: job.productId,
      name: job.name,
      category: job.category,
      imagePath: job.imagePath,
      imageKey: job.imageKey,
      sha256: item.sha256,
      model: job.model,
      indexedAt: new Date().toISOString(),
      extra: job.extra,
    },
  };
}

function failAll(jobs: ImageJob[], err: unknown): Outcome[] {
  if (!(err instanceof ModelError || err instanceof ConfigError || err instanceof PermanentError)) {
    throw err;
  }
  return jobs.map(() => failed(err));
}

function failed(err: unknown): Outcome {
  const code = err instanceof IdxError ? err.code : 'FAILED';
  return { status: 'failed', reason: errorMessage(err), code };
}

/** Only the first frame or page of a multi-frame file is indexed; the outcome says so. */
function partNote(decoded: { pages: number; format: string }): string | undefined {
  if (decoded.pages <= 1) {
    return undefined;
  }
  const parts = decoded.format === 'tiff' ? 'pages' : 'frames';
  return `indexed the first of its ${decoded.pages} ${parts}`;
}
