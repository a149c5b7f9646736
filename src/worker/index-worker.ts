import os from 'node:os';

import type BeeQueue from 'bee-queue';
import type { Redis } from 'ioredis';

import type { IdxConfig } from '../config/config.js';
import { modelReference } from '../config/model-reference.js';
import { errorMessage } from '../core/errors.js';
import { type ImageJob, type Logger, type Outcome, silentLogger } from '../core/types.js';
import type { Embedder } from '../embed/embedder.js';
import { CollectionGuard } from '../pipeline/collection-guard.js';
import { EmbedderPool } from '../pipeline/embedder-pool.js';
import { type PipelineDeps, groupJobs, indexBatch } from '../pipeline/index-batch.js';
import { Heartbeats, HEARTBEAT_INTERVAL_MS } from '../queue/heartbeats.js';
import { type JobWire, fromWire } from '../queue/job-data.js';
import { JobQueue, REDIS_RECONNECT_LIMIT_MS } from '../queue/job-queue.js';
import { JobRecords } from '../queue/job-records.js';
import { closeRedis, connectRedis } from '../queue/redis-connection.js';
import { openStore } from '../store/open-store.js';
import type { VectorStore } from '../store/vector-store.js';
import { maskUrl } from '../util/mask.js';
import { Batcher } from './batcher.js';
import { chooseWorkerThreads } from './worker-threads.js';

export interface WorkerOptions {
  config: IdxConfig;
  /** Shown by `idx status`; default `<host>-<pid>`. */
  workerId?: string;
  /** Exit once the queue has nothing waiting, active or delayed. */
  untilIdle?: boolean;
  logger?: Logger;
  /** Retries after the first attempt for transient faults. Default 4. */
  retries?: number;
}

/** What a worker did, returned when it stops. */
export interface WorkerSummary {
  workerId: string;
  indexed: number;
  skipped: number;
  failed: number;
  retried: number;
  seconds: number;
  stopReason: string;
  /** Set when the worker stopped because it could not go on (Redis gone for good). */
  fatal?: string;
}

type Queued = { jobId: string; job: ImageJob };

/**
 * Takes image jobs from the queue and indexes them in batches: decode, embed, upsert,
 * record the outcome. Heartbeats into Redis. `stop()` stops taking jobs, finishes the
 * batch in hand and disconnects; a worker killed outright loses nothing, because
 * bee-queue's stall check returns its unfinished jobs to the queue.
 */
export class IndexWorker {
  readonly workerId: string;
  private readonly config: IdxConfig;
  private readonly logger: Logger;
  private readonly startedAt = new Date();
  private readonly counts = { indexed: 0, skipped: 0, failed: 0, retried: 0 };
  private state: 'starting' | 'running' | 'stopping' = 'starting';
  private inFlight = 0;
  private msPerImage = 0;
  private timers: NodeJS.Timeout[] = [];
  private redis?: Redis;
  private queue?: JobQueue;
  private store?: VectorStore;
  private embedders?: EmbedderPool;
  private heartbeats?: Heartbeats;
  private records?: JobRecords;
  private stopping?: Promise<WorkerSummary>;
  private fatal?: string;
  private queueErrors = 0;
  private lastQueueErrorLog = 0;
  private resolveDone!: (summary: WorkerSummary) => void;

  /** Resolves when the worker has stopped, for whatever reason. */
  readonly done: Promise<WorkerSummary>;

  constructor(private readonly opts: WorkerOptions) {
    this.config = opts.config;
    this.logger = opts.logger ?? silentLogger;
    this.workerId = opts.workerId ?? `${os.hostname()}-${process.pid}`;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Connects, loads the model and takes jobs. Throws if Redis or the model is unavailable. */
  async start(): Promise<void> {
    const { config } = this;
    this.redis = await connectRedis(config.redisUrl, config.redisTimeoutMs);
    this.heartbeats = new Heartbeats(this.redis, config.queue);
    this.records = new JobRecords(this.redis, config.queue);
    await this.beat();

    const threads = config.threads ?? (await chooseWorkerThreads(this.heartbeats, this.workerId));
    this.embedders = new EmbedderPool({
      threaded: true,
      threads,
      allowDownload: config.allowDownload,
      cacheDir: config.modelCacheDir,
      logger: this.logger,
    });
    // Load the configured model now so a missing model stops the worker at once instead
    // of failing every job; jobs queued for other models load theirs on first use.
    const embedder = await this.embedders.get(modelReference(config.model), config.dtype);
    await warmUp(embedder, config.batchSize);

    this.store = await openStore(config);
    await this.listen(threads);
  }

  /** Stops taking jobs, finishes the batch in hand and disconnects. Safe to call twice. */
  stop(reason = 'stopped'): Promise<WorkerSummary> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async listen(threads: number): Promise<void> {
    const { config } = this;
    const deps: PipelineDeps = {
      embedders: this.embedders!,
      store: this.store!,
      collections: new CollectionGuard(this.store!),
    };
    const batcher = new Batcher<Queued, Outcome>(config.batchSize, 20, (items) =>
      this.runBatch(items, deps),
    );

    this.queue = new JobQueue({
      redisUrl: config.redisUrl,
      queue: config.queue,
      worker: true,
      retries: this.opts.retries,
    });
    this.watchQueueEvents(this.queue.bee);
    await this.queue.ready();

    this.queue.bee.process(config.batchSize * config.concurrency, (job) =>
      this.handle(job, batcher),
    );
    this.queue.startStallCheck();
    this.state = 'running';

    this.every(HEARTBEAT_INTERVAL_MS, () => this.beat());
    if (this.opts.untilIdle) {
      this.every(500, () => this.stopWhenIdle());
    }

    const where = `queue "${config.queue}" at ${maskUrl(config.redisUrl)}`;
    const how = `batch ${config.batchSize}, ${config.concurrency} in flight, ${threads} ONNX thread(s)`;
    this.logger.info(
      `${this.workerId}: taking jobs from ${where} (${how}, store ${this.store!.location})`,
    );
  }

  private async handle(job: BeeQueue.Job<JobWire>, batcher: Batcher<Queued, Outcome>) {
    this.inFlight++;
    try {
      const outcome = await batcher.add({ jobId: job.id, job: fromWire(job.data) });
      await this.finish(job, outcome);
      return outcome;
    } finally {
      this.inFlight--;
    }
  }

  private async runBatch(items: Queued[], deps: PipelineDeps): Promise<Outcome[]> {
    const started = performance.now();
    const outcomes = new Array<Outcome>(items.length);

    for (const group of groupJobs(items.map((item) => item.job))) {
      const result = await indexBatch(group.jobs, deps);
      result.outcomes.forEach((outcome, i) => (outcomes[group.indexes[i]] = outcome));
    }

    const ms = performance.now() - started;
    this.msPerImage = Math.round((ms / items.length) * 10) / 10;
    this.logger.debug(`${this.workerId}: batch of ${items.length} in ${Math.round(ms)} ms`);
    return outcomes;
  }

  private async finish(job: BeeQueue.Job<JobWire>, outcome: Outcome): Promise<void> {
    this.counts[outcome.status]++;
    if (outcome.status === 'failed') {
      this.logger.warn(`${this.workerId}: failed ${job.data.image_path}: ${outcome.reason}`);
    } else if (outcome.status === 'indexed' && outcome.note) {
      this.logger.info(`${this.workerId}: ${job.data.image_path}: ${outcome.note}`);
    }
    await this.records!.recordOutcome(job.id, job.data.image_path, outcome, {
      worker: this.workerId,
      attempts: this.attemptsOf(job),
    });
  }

  // Transient faults are thrown by the handler, so bee-queue retries them with backoff;
  // these events record what happened in idx's own counters.
  private watchQueueEvents(bee: BeeQueue<JobWire>): void {
    bee.on('retrying', (job, err) => {
      this.counts.retried++;
      this.logger.warn(`${this.workerId}: will retry ${job.data.image_path}: ${err.message}`);
      void this.records!.recordRetry(job.id, err.message, this.attemptsOf(job)).catch(() => {});
    });

    // bee-queue emits 'failed' for every failed attempt, retried or not; only
    // 'failed:fatal' means the retries are used up.
    const onFatal = (job: BeeQueue.Job<JobWire>, err: Error) => {
      const outcome: Outcome = {
        status: 'failed',
        reason: `gave up after retries: ${err.message}`,
        code: 'RETRIES_EXHAUSTED',
      };
      this.counts.failed++;
      this.logger.warn(`${this.workerId}: failed ${job.data.image_path}: ${outcome.reason}`);
      void this.records!.recordOutcome(job.id, job.data.image_path, outcome, {
        worker: this.workerId,
        attempts: this.attemptsOf(job),
      }).catch(() => {});
    };
    (bee as unknown as NodeJS.EventEmitter).on('failed:fatal', onFatal);

    bee.on('error', (err) => this.onQueueError(err));
  }

  // During a Redis outage bee-queue reports every failed call; say it once, then at most
  // every 10 s. A client that has given up reconnecting will not recover: stop the worker.
  private onQueueError(err: Error): void {
    if (
      /broken state/.test(err.message) ||
      (err as { code?: string }).code === 'CONNECTION_BROKEN'
    ) {
      this.fatal = `Redis was unreachable for more than ${REDIS_RECONNECT_LIMIT_MS / 60_000} minutes`;
      void this.stop(this.fatal);
      return;
    }

    this.queueErrors++;
    const now = Date.now();
    if (now - this.lastQueueErrorLog >= 10_000) {
      const repeats =
        this.queueErrors > 1 ? ` (${this.queueErrors} errors since the last report)` : '';
      this.logger.warn(
        `${this.workerId}: queue connection problem: ${errorMessage(err)}${repeats}`,
      );
      this.lastQueueErrorLog = now;
      this.queueErrors = 0;
    }
  }

  private attemptsOf(job: BeeQueue.Job<JobWire>): number {
    const configured = this.opts.retries ?? 4;
    return configured - Number(job.options.retries ?? 0) + 1;
  }

  private async stopWhenIdle(): Promise<void> {
    if (this.state !== 'running' || this.inFlight > 0) {
      return;
    }

    const counts = await this.queue!.counts();
    if (counts.waiting + counts.active + counts.delayed === 0) {
      void this.stop('the queue is empty');
    }
  }

  private async beat(): Promise<void> {
    await this.heartbeats!.beat({
      id: this.workerId,
      startedAt: this.startedAt.toISOString(),
      processed: this.counts.indexed + this.counts.skipped + this.counts.failed,
      failed: this.counts.failed,
      active: this.inFlight,
      state: this.state,
      model: this.config.model,
      msPerImage: this.msPerImage,
    });
  }

  private every(ms: number, work: () => Promise<void>): void {
    const timer = setInterval(() => {
      work().catch((err) => this.logger.debug(`${this.workerId}: ${errorMessage(err)}`));
    }, ms);
    this.timers.push(timer);
  }

  private async shutdown(reason: string): Promise<WorkerSummary> {
    this.state = 'stopping';
    this.timers.forEach(clearInterval);
    this.logger.info(
      `${this.workerId}: stopping (${reason}); finishing ${this.inFlight} job(s) in hand`,
    );

    await this.queue
      ?.close(60_000)
      .catch((err) => this.logger.warn(`${this.workerId}: ${errorMessage(err)}`));
    await this.heartbeats?.remove(this.workerId).catch(() => {});
    await this.store?.close();
    await this.embedders?.close();
    if (this.redis) {
      await closeRedis(this.redis);
    }

    const summary: WorkerSummary = {
      workerId: this.workerId,
      ...this.counts,
      seconds: Math.round((Date.now() - this.startedAt.getTime()) / 100) / 10,
      stopReason: reason,
      fatal: this.fatal,
    };
    this.resolveDone(summary);
    return summary;
  }
}

/**
 * One model call at the worker's batch size before the first job, so that the first real
 * batch does not pay for ONNX Runtime sizing its buffers (q8 ViT-B/32, 2 threads, batch 8:
 * the first two calls took 156-165 ms here, the next ones 109-111 ms).
 */
async function warmUp(embedder: Embedder, batchSize: number): Promise<void> {
  const { cropWidth, cropHeight } = embedder.preprocess;
  const blank = () => new Float32Array(3 * cropWidth * cropHeight);
  await embedder.embedImages(Array.from({ length: batchSize }, blank));
}
