import type { IdxConfig } from '../config/config.js';
import { declaredDimension, modelReference } from '../config/model-reference.js';
import {
  ConfigError,
  RedisUnavailableError,
  StoreError,
  errorMessage,
  isTransient,
} from '../core/errors.js';
import { type ImageJob, type Logger, silentLogger } from '../core/types.js';
import {
  findMissingFiles,
  missingFilesError,
  resolveModelSource,
  visionFiles,
} from '../embed/model-source.js';
import { CollectionGuard } from '../pipeline/collection-guard.js';
import { EmbedderPool } from '../pipeline/embedder-pool.js';
import { indexSynchronously } from '../pipeline/sync-indexer.js';
import { JobQueue } from '../queue/job-queue.js';
import { JobRecords } from '../queue/job-records.js';
import { closeRedis, connectRedis } from '../queue/redis-connection.js';
import { openStore } from '../store/open-store.js';
import { checkCompatible, modelMismatch } from '../store/compatibility.js';
import { pointIdFor } from '../store/point-id.js';
import type { VectorStore } from '../store/vector-store.js';
import { maskUrl } from '../util/mask.js';
import { type PlanInput, type Rejection, planJobs } from './plan-jobs.js';

export interface EnqueueOptions {
  input: PlanInput;
  config: IdxConfig;
  /** Index in this process when Redis is unavailable. Default true (`--no-fallback`). */
  fallback?: boolean;
  /** Drop the collection first, so it is rebuilt with this model (`--recreate`). */
  recreate?: boolean;
  logger?: Logger;
  /** Progress of each phase: inspecting files, saving jobs, or indexing (sync mode). */
  onProgress?: (phase: 'inspect' | 'queue' | 'index', done: number, total: number) => void;
}

/** The one summary enqueue prints. total = queued + indexed + skipped + failed. */
export interface EnqueueSummary {
  mode: 'queued' | 'sync';
  total: number;
  queued: number;
  indexed: number;
  skipped: number;
  failed: number;
  failures: Rejection[];
  /** Images indexed in part (sync mode): the first frame of an animation, page of a TIFF. */
  notes: { image: string; note: string }[];
  /** Redis URL with the password masked. */
  redis: string;
  collection: string;
  seconds: number;
}

/**
 * Queues image jobs in Redis, or, when Redis is unavailable, indexes them here and now.
 * Images already stored unchanged are skipped before they are queued.
 */
export async function enqueueImages(opts: EnqueueOptions): Promise<EnqueueSummary> {
  const started = performance.now();
  const { config } = opts;
  const logger = opts.logger ?? silentLogger;
  const settings = {
    model: modelReference(config.model),
    dtype: config.dtype,
    collection: config.collection,
  };

  const plan = await planJobs(opts.input, settings, (done, total) =>
    opts.onProgress?.('inspect', done, total),
  );
  const summary: EnqueueSummary = {
    mode: 'queued',
    total: plan.jobs.length + plan.rejected.length + plan.duplicates.length,
    queued: 0,
    indexed: 0,
    skipped: plan.duplicates.length,
    failed: plan.rejected.length,
    failures: [...plan.rejected],
    notes: [],
    redis: maskUrl(config.redisUrl),
    collection: config.collection,
    seconds: 0,
  };

  const redis = await connectRedis(config.redisUrl, config.redisTimeoutMs).catch((err) => {
    if (!(err instanceof RedisUnavailableError) || opts.fallback === false) {
      throw err;
    }
    logger.warn(`${err.message} Indexing synchronously in this process instead.`);
    return null;
  });

  const store = await openStore(config);
  try {
    if (opts.recreate) {
      const dropped = await store.describeCollection(config.collection);
      await store.deleteCollection(config.collection);
      logger.warn(
        `Dropped collection "${config.collection}" (${dropped?.points ?? 0} points) as --recreate asked.`,
      );
    }

    if (redis) {
      warnIfModelMissing(config, logger);
      try {
        await queueJobs(plan.jobs, store, config, summary, opts, logger);
        // Only once the jobs are queued: a refused enqueue (another model's collection)
        // must not count its files as failed.
        await new JobRecords(redis, config.queue).recordRefused(plan.rejected);
      } finally {
        await closeRedis(redis);
      }
    } else {
      summary.mode = 'sync';
      await indexHere(plan.jobs, store, config, summary, opts);
    }
  } finally {
    await store.close();
  }

  summary.seconds = Math.round(performance.now() - started) / 1000;
  return summary;
}

/**
 * Queued jobs are embedded by workers, which may run on another machine with the model, so
 * a model missing here is not an error; but when the workers share this machine every job
 * would fail, so say so before queueing.
 */
function warnIfModelMissing(config: IdxConfig, logger: Logger): void {
  if (config.allowDownload) {
    return;
  }

  const source = resolveModelSource(modelReference(config.model), config.modelCacheDir);
  const missing = findMissingFiles(source.folder, visionFiles(config.dtype));
  if (missing.length > 0) {
    const why = missingFilesError(source, missing).message;
    logger.warn(
      `${why} The jobs are queued anyway, for workers on a machine that has the model; a worker without it fails every job.`,
    );
  }
}

async function queueJobs(
  jobs: ImageJob[],
  store: VectorStore,
  config: IdxConfig,
  summary: EnqueueSummary,
  opts: EnqueueOptions,
  logger: Logger,
): Promise<void> {
  const toQueue = await dropUnchanged(jobs, store, config, summary, logger);
  const queue = new JobQueue({ redisUrl: config.redisUrl, queue: config.queue });

  try {
    await queue.ready();
    let saved = 0;
    const result = await queue.saveJobs(toQueue, (count) =>
      opts.onProgress?.('queue', (saved += count), toQueue.length),
    );

    summary.queued += result.ids.length;
    summary.skipped += result.duplicates.length;
    summary.failed += result.errors.length;
    result.errors.forEach(({ job, error }) =>
      summary.failures.push({ image: job.imagePath, reason: `not queued: ${error.message}` }),
    );
  } finally {
    await queue.close();
  }
}

// A store that cannot be reached now is not a reason to refuse queueing: the workers check
// again before embedding. A collection built for another model is, because every job
// would fail.
async function dropUnchanged(
  jobs: ImageJob[],
  store: VectorStore,
  config: IdxConfig,
  summary: EnqueueSummary,
  logger: Logger,
): Promise<ImageJob[]> {
  let digests;
  try {
    const info = await store.describeCollection(config.collection);
    const model = modelReference(config.model);
    const dimension = declaredDimension(model);
    if (info && dimension !== undefined) {
      checkCompatible(info, { name: config.collection, model, dimension });
    } else if (info?.model && info.model !== model) {
      throw modelMismatch(config.collection, info.model, model);
    }
    digests = info ? await store.getDigests(config.collection, jobs.map(idOf)) : new Map();
  } catch (err) {
    if (err instanceof ConfigError) {
      throw err;
    }
    logger.warn(
      `Could not check ${store.location} for unchanged images (${errorMessage(err)}); queueing all.`,
    );
    return jobs;
  }

  return jobs.filter((job) => {
    const digest = digests.get(idOf(job));
    const unchanged = digest?.sha256 === job.sha256 && digest.model === job.model;
    summary.skipped += unchanged ? 1 : 0;
    return !unchanged;
  });
}

async function indexHere(
  jobs: ImageJob[],
  store: VectorStore,
  config: IdxConfig,
  summary: EnqueueSummary,
  opts: EnqueueOptions,
): Promise<void> {
  const embedders = new EmbedderPool({
    threads: config.threads,
    allowDownload: config.allowDownload,
    cacheDir: config.modelCacheDir,
    logger: opts.logger,
  });

  try {
    // A model that cannot load, an unreachable store or a collection built for another
    // model would fail every image with the same reason; say it once, before any work.
    const model = modelReference(config.model);
    const embedder = await embedders.get(model, config.dtype);
    const collections = new CollectionGuard(store);
    await collections
      .ensure({ name: config.collection, model, dimension: embedder.info.dimension })
      .catch((err: unknown) => {
        throw isTransient(err) ? new StoreError(errorMessage(err), { cause: err }) : err;
      });

    const { outcomes } = await indexSynchronously(
      jobs,
      { embedders, store, collections },
      {
        batchSize: config.batchSize,
        onProgress: (done, total) => opts.onProgress?.('index', done, total),
      },
    );

    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'failed') {
        summary.failed++;
        summary.failures.push({ image: jobs[index].imagePath, reason: outcome.reason });
      } else {
        summary[outcome.status]++;
      }
      if (outcome.status === 'indexed' && outcome.note) {
        summary.notes.push({ image: jobs[index].imagePath, note: outcome.note });
      }
    });
  } finally {
    await embedders.close();
  }
}

function idOf(job: ImageJob): string {
  return pointIdFor(job.productId, job.imageKey);
}
