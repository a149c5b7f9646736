import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Redis } from 'ioredis';

import type { IdxConfig } from '../config/config.js';
import { ConfigError, IdxError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/types.js';
import { EmbedderPool } from '../pipeline/embedder-pool.js';
import { closeRedis, connectRedis } from '../queue/redis-connection.js';
import { openStore } from '../store/open-store.js';
import type { VectorStore } from '../store/vector-store.js';
import type {
  BenchReport,
  LimitResult,
  OverheadResult,
  QueuedResult,
  Ratios,
  StageResult,
  SyncResult,
} from './bench-report.js';
import { type BenchImages, collectBenchImages, defaultImagesFolder } from './bench-images.js';
import { BenchCleanup, clearQueueKeys } from './cleanup.js';
import { resolveBenchModel } from './compute-equivalent.js';
import { describeMachine, waitForQuiet } from './cpu-usage.js';
import { benchEnqueue } from './enqueue-bench.js';
import { LimitBench } from './limit-bench.js';
import { measureQueueOverhead } from './queue-overhead.js';
import { benchQueued } from './queued-bench.js';
import { benchStages } from './stage-timings.js';
import { benchSync } from './sync-bench.js';
import { evaluateTargets } from './targets.js';

export interface BenchOptions {
  /**
   * Redis, store, model, dtype, threads, batch size and concurrency to bench. Its queue,
   * collection and data folder are ignored: the bench always uses its own.
   */
  config: IdxConfig;
  /** Folder of images. Default: the products dataset beside the repository, if present. */
  images?: string;
  /** Items per run; the images are repeated or cut to this many. Default: at least 1000. */
  count?: number;
  /** Queued runs use 1, 2, ... up to this many worker processes. Default: the cores. */
  workers?: number;
  /**
   * Rounds of queued runs (1..N workers each), the median run of each worker count kept.
   * On a virtual machine the same run varies by 10-20 % from one minute to the next;
   * interleaved rounds share that drift among the worker counts. Default 1.
   */
  repeat?: number;
  /** Single enqueues timed. Default 1000. */
  enqueueSamples?: number;
  /** Jobs per bulk-enqueue round (3 rounds). Default 10000. */
  enqueueJobs?: number;
  /** Length of each window of the limit measurement, ms. Default 1500. */
  windowMs?: number;
  /** Windows per setting of the limit measurement. Default 3. */
  windows?: number;
  /**
   * On a shared machine: before each timed part, wait until other processes use at most
   * this many cores (up to `quietTimeoutMs`). Default: do not wait.
   */
  quietCores?: number;
  /** Longest wait for quiet before each part, ms. Default 60000. */
  quietTimeoutMs?: number;
  logger?: Logger;
  /** Aborting stops the run at the next step; everything is still cleaned up. */
  signal?: AbortSignal;
  /** Called as each part starts, for progress lines. */
  onPhase?: (phase: string) => void;
}

/** The bench was interrupted (Ctrl-C); its queue, collection and files were removed. */
export class BenchInterruptedError extends IdxError {
  constructor() {
    super('bench interrupted; its queue, collection and temporary files were removed', {
      code: 'INTERRUPTED',
      exitCode: 130,
    });
  }
}

/** The names a bench run creates, unique to this process. */
export function benchNames(pid = process.pid) {
  return { queue: `idx-bench-${pid}`, collection: `bench-${pid}`, runId: `bench-${pid}` };
}

/**
 * Runs every part of the bench on the same images and model, in this order: the machine's
 * limit (it loads the model first, so a missing model fails at once), enqueue, the sync
 * path, the stages, then queued runs with 1..N real worker processes. Uses its own queue
 * (`idx-bench-<pid>`), collection (`bench-<pid>`) and a temporary data folder, and removes
 * all three afterwards, on error and on abort too.
 *
 * @throws ConfigError for bad options; RedisUnavailableError when Redis cannot be reached
 *   (the queued parts need it); ModelError when the model cannot be loaded;
 *   BenchInterruptedError when `signal` aborts.
 */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date();
  const logger = opts.logger ?? silentLogger;
  const workers = positive(opts.workers ?? os.availableParallelism(), '--workers');
  const count = opts.count === undefined ? undefined : positive(opts.count, '--count');
  const repeat = positive(opts.repeat ?? 1, '--repeat');
  const folder = opts.images ?? defaultImagesFolder();
  if (!folder) {
    throw new ConfigError(
      'No images to bench: the products dataset is not beside this repository; pass --images <folder>.',
    );
  }

  const checkAbort = () => {
    if (opts.signal?.aborted) {
      throw new BenchInterruptedError();
    }
  };
  const phase = (name: string) => {
    checkAbort();
    opts.onPhase?.(name);
  };
  const { conditions, settle } = quietGate(opts, checkAbort);

  const { config } = opts;
  const reference = await resolveBenchModel(config.model, { ...config, logger });

  const redis = await connectRedis(config.redisUrl, config.redisTimeoutMs);
  const { queue, collection, runId } = benchNames();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-bench-'));
  const benchConfig: IdxConfig = {
    ...config,
    queue,
    collection,
    model: reference,
    dataDir: tempDir,
  };
  const cleanup = new BenchCleanup({ redis, queue, collection, tempDir, logger });
  const onExit = () => cleanup.exitNow();
  process.once('exit', onExit);

  try {
    await clearQueueKeys(redis, queue);
    const store = await openStore(benchConfig);
    cleanup.useStore(store);

    phase('planning the jobs');
    const settings = { model: reference, dtype: config.dtype, collection };
    const images = await collectBenchImages(folder, settings, count);
    const context: RunContext = {
      opts,
      redis,
      store,
      images,
      config: benchConfig,
      checkAbort,
      phase,
      settle,
    };

    const limitBench = new LimitBench({
      model: reference,
      dtype: config.dtype,
      allowDownload: config.allowDownload,
      cacheDir: config.modelCacheDir,
      threadCandidates: config.threads ? [config.threads] : range(1, os.availableParallelism()),
      batchSizes: [...new Set([1, config.batchSize, 2 * config.batchSize])],
      pipelineBatchSize: config.batchSize,
      files: [...new Set(images.jobs.map((job) => job.imagePath))],
      cores: os.availableParallelism(),
      decodeConcurrency: Math.max(4, 2 * os.availableParallelism()),
      windowMs: opts.windowMs ?? 1500,
      windows: opts.windows ?? 3,
      checkAbort,
      settle,
      onStep: (step) => phase(`limit: ${step}`),
    });
    await limitBench.measureAlone();

    phase('enqueue: single and bulk');
    const enqueue = await benchEnqueue({
      redis,
      redisUrl: config.redisUrl,
      queue,
      jobs: images.jobs,
      samples: opts.enqueueSamples ?? 1000,
      bulkJobs: opts.enqueueJobs ?? 10_000,
      rounds: 3,
      checkAbort,
      settle,
    });

    const { sync, stages, dimension } = await runInProcess(context);

    const queued = await runQueued(context, { workers, repeat, runId, cleanup, limitBench });
    const limit = limitBench.result();

    phase('cleaning up');
    const model: BenchReport['model'] = {
      name: config.model,
      reference,
      dtype: config.dtype,
      dimension,
      batchSize: config.batchSize,
      concurrency: config.concurrency,
      threads: config.threads ?? null,
    };
    const ratios = ratiosOf(sync, queued, limit);
    const { efficiency, overhead } = ratios;

    const report: Omit<BenchReport, 'cleanup' | 'seconds'> = {
      startedAt: startedAt.toISOString(),
      machine: describeMachine(),
      model,
      images: {
        folder: images.folder,
        files: images.files,
        count: images.jobs.length,
        leftOut: images.leftOut,
      },
      conditions,
      store: { backend: store.backend },
      enqueue,
      sync,
      stages,
      queued,
      limit,
      efficiency,
      overhead,
      ratios: ratios.ratios,
      targets: evaluateTargets({ enqueue, stages, queued, limit, efficiency, overhead, model }),
    };

    const cleaned = await cleanup.run();
    const seconds = (Date.now() - startedAt.getTime()) / 1000;
    return roundNumbers({ ...report, seconds, cleanup: cleaned });
  } finally {
    await cleanup.run();
    process.off('exit', onExit);
    await closeRedis(redis);
  }
}

/**
 * `--wait-quiet`: a `settle()` that each timed part awaits before it starts, and the record
 * of how long it waited. Without `quietCores` it returns at once.
 */
function quietGate(opts: BenchOptions, checkAbort: () => void) {
  const conditions: BenchReport['conditions'] = {
    quietCores: opts.quietCores ?? null,
    quietWaitSeconds: 0,
    notQuiet: 0,
  };

  const settle = async (pids: number[] = []) => {
    if (opts.quietCores === undefined) {
      return;
    }
    const waited = await waitForQuiet({
      maxCores: opts.quietCores,
      timeoutMs: opts.quietTimeoutMs ?? 60_000,
      pids: [process.pid, ...pids],
    });
    conditions.quietWaitSeconds += waited.waitedMs / 1000;
    conditions.notQuiet += waited.quiet ? 0 : 1;
    checkAbort();
  };

  return { conditions, settle };
}

interface Rounds {
  workers: number;
  repeat: number;
  runId: string;
  cleanup: BenchCleanup;
  limitBench: LimitBench;
}

/**
 * `repeat` rounds, each of: the model and decoding together (the limit), then queued runs
 * with 1, 2, ... `workers` processes, each on an empty queue and collection. For each worker
 * count the run with the median rate is kept and every round's rate listed beside it.
 */
async function runQueued(context: RunContext, rounds: Rounds): Promise<QueuedResult[]> {
  const { redis, config, images, store } = context;
  const { workers, repeat, runId, cleanup, limitBench } = rounds;
  const runs: QueuedResult[][] = Array.from({ length: workers }, () => []);

  for (let round = 1; round <= repeat; round++) {
    await limitBench.measureTogether();
    for (let running = 1; running <= workers; running++) {
      const of = repeat > 1 ? ` (round ${round} of ${repeat})` : '';
      context.phase(`queued: ${running} worker process(es)${of}`);
      await clearQueueKeys(redis, config.queue);
      const result = await benchQueued({
        redis,
        config,
        jobs: images.jobs,
        workers: running,
        runId: `${runId}-r${round}`,
        cleanup,
        checkAbort: context.checkAbort,
        settle: context.settle,
      });
      runs[running - 1].push(result);
      await store.deleteCollection(config.collection);
    }
  }

  return runs.map((results) => {
    const sorted = [...results].sort((a, b) => a.itemsPerSecond - b.itemsPerSecond);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    return { ...median, rounds: results.map((result) => result.itemsPerSecond) };
  });
}

/** Efficiency and overhead at the best worker count, and the ratios between the runs. */
function ratiosOf(sync: SyncResult, queued: QueuedResult[], limit: LimitResult) {
  const best = queued.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const one = queued[0];
  const cpuEfficiency =
    limit.cpuMsPerItem === null || best.cpuMsPerItem === null
      ? null
      : limit.cpuMsPerItem / best.cpuMsPerItem;

  const ratios: Ratios = {
    queuedVsSync: best.itemsPerSecond / sync.itemsPerSecond,
    workersVsOne: queued.map((result) => ({
      workers: result.workers,
      ratio: result.itemsPerSecond / one.itemsPerSecond,
    })),
    efficiencyVsModel: best.itemsPerSecond / limit.modelItemsPerSecond,
    efficiencyVsDecode: best.itemsPerSecond / limit.decodeItemsPerSecond,
    cpuEfficiency,
  };

  const wallMsPerItem = 1000 / best.itemsPerSecond;
  const modelMsPerItem = 1000 / limit.modelItemsPerSecond;
  const overhead: OverheadResult = {
    wallMsPerItem,
    modelMsPerItem,
    ms: wallMsPerItem - modelMsPerItem,
    workers: best.workers,
  };

  return { efficiency: best.itemsPerSecond / limit.itemsPerSecond, ratios, overhead };
}

interface RunContext {
  opts: BenchOptions;
  redis: Redis;
  store: VectorStore;
  images: BenchImages;
  config: IdxConfig;
  checkAbort: () => void;
  phase: (name: string) => void;
  settle: (pids?: number[]) => Promise<void>;
}

/**
 * The parts that run the pipeline in this process, sharing one loaded model: the sync
 * path, the queue's own overhead and the stage timings. Each starts from an empty
 * collection.
 */
async function runInProcess(
  context: RunContext,
): Promise<{ sync: SyncResult; stages: StageResult; dimension: number }> {
  const { config, store, images, checkAbort, phase, redis, settle } = context;
  const embedders = new EmbedderPool({
    threads: config.threads,
    allowDownload: config.allowDownload,
    cacheDir: config.modelCacheDir,
  });

  try {
    phase('sync: the fallback path, one image at a time');
    const embedder = await embedders.get(config.model, config.dtype);
    const deps = { embedders, embedder, store };
    await store.deleteCollection(config.collection);
    const sync = await benchSync(images.jobs, deps, checkAbort, settle);

    phase('stages: queue overhead of a worker');
    const queueMs = await measureQueueOverhead({
      redis,
      redisUrl: config.redisUrl,
      queue: config.queue,
      jobs: images.jobs,
      count: Math.min(1000, context.opts.enqueueJobs ?? 10_000),
      concurrency: config.batchSize * config.concurrency,
      checkAbort,
    });

    phase(`stages: in-process batches of ${config.batchSize}`);
    await store.deleteCollection(config.collection);
    const stages = await benchStages(
      images.jobs,
      deps,
      config.batchSize,
      queueMs,
      checkAbort,
      settle,
    );
    await store.deleteCollection(config.collection);

    return { sync, stages, dimension: embedder.info.dimension };
  } finally {
    await embedders.close();
  }
}

function positive(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${flag} must be a whole number of at least 1, not "${value}".`);
  }
  return value;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

/** Rounds every number in the report to 3 decimals, for readable JSON. */
function roundNumbers<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'number' && !Number.isInteger(item) ? Math.round(item * 1000) / 1000 : item,
    ),
  ) as T;
}
