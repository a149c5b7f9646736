import { createRequire } from 'node:module';

import BeeQueue from 'bee-queue';

import type { ImageJob } from '../core/types.js';
import { pointIdFor } from '../store/point-id.js';
import { type JobWire, toWire } from './job-data.js';
import { BEE_PREFIX } from './keys.js';

/** Tunables of the queue; the defaults suit a LAN Redis and jobs of a few hundred ms. */
export interface JobQueueOptions {
  /** Redis URL (bee-queue opens its own connections with it). */
  redisUrl: string;
  /** Queue name. */
  queue: string;
  /** True for `idx work`: take jobs, detect stalls, activate delayed retries. */
  worker?: boolean;
  /**
   * A worker must report each active job within this window (ms) or the job is put back
   * in the queue for another worker; a SIGKILLed worker's jobs return after about twice
   * this. Env `IDX_STALL_INTERVAL` (ms), default 5000.
   */
  stallIntervalMs?: number;
  /** Attempts after the first for transient faults. Default 4. */
  retries?: number;
  /** Base of the exponential retry backoff, ms. Default 1000. */
  backoffMs?: number;
  /** A job still running after this long fails (and is retried). Default 10 minutes. */
  jobTimeoutMs?: number;
}

type NodeRedisClient = { on(event: 'ready', listener: () => void): void };

// bee-queue's script loader is internal; it is the only way to re-load the exact scripts
// (by their SHA) that the queue calls.
const beeLua = createRequire(import.meta.url)('bee-queue/lib/lua') as {
  buildCache(client: NodeRedisClient): Promise<void>;
};

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
}

/**
 * The image-job queue on bee-queue. Jobs are removed from Redis once finished, so they
 * never pile up; idx keeps its own counters and outcomes (see job-records.ts).
 */
export class JobQueue {
  readonly bee: BeeQueue<JobWire>;
  readonly stallIntervalMs: number;
  private readonly opts: Required<Omit<JobQueueOptions, 'stallIntervalMs'>>;

  constructor(opts: JobQueueOptions) {
    this.opts = { worker: false, retries: 4, backoffMs: 1000, jobTimeoutMs: 600_000, ...opts };
    this.stallIntervalMs = opts.stallIntervalMs ?? envNumber('IDX_STALL_INTERVAL') ?? 5000;

    this.bee = new BeeQueue<JobWire>(opts.queue, {
      prefix: BEE_PREFIX,
      redis: redisSettings(opts.redisUrl) as never,
      isWorker: this.opts.worker,
      getEvents: false,
      sendEvents: false,
      activateDelayedJobs: this.opts.worker,
      removeOnSuccess: true,
      removeOnFailure: true,
      stallInterval: this.stallIntervalMs,
    });
  }

  async ready(): Promise<void> {
    await this.bee.ready();

    // bee-queue loads its Lua scripts once, when it connects. A restarted Redis has lost
    // them, and every script call (stall check, delayed retries) would then fail with
    // NOSCRIPT forever; so load them again each time the connection comes back.
    const client = (this.bee as unknown as { client: NodeRedisClient }).client;
    client.on('ready', () => {
      beeLua.buildCache(client).catch(() => {});
    });
  }

  /**
   * Saves jobs in pipelined batches. The job id is derived from the collection and the
   * point id, so an image already waiting is not queued twice; such jobs come back in
   * `duplicates`.
   */
  async saveJobs(
    jobs: ImageJob[],
    onSaved: (count: number) => void = () => {},
  ): Promise<{ ids: string[]; duplicates: ImageJob[]; errors: { job: ImageJob; error: Error }[] }> {
    const ids: string[] = [];
    const duplicates: ImageJob[] = [];
    const errors: { job: ImageJob; error: Error }[] = [];

    for (let start = 0; start < jobs.length; start += 1000) {
      const slice = jobs.slice(start, start + 1000);
      const beeJobs = slice.map((job) => this.createJob(job));
      const failed = await this.bee.saveAll(beeJobs);

      beeJobs.forEach((beeJob, index) => {
        const error = failed.get(beeJob);
        if (error) {
          errors.push({ job: slice[index], error });
        } else if (beeJob.id === null) {
          duplicates.push(slice[index]);
        } else {
          ids.push(beeJob.id);
        }
      });
      onSaved(slice.length);
    }

    return { ids, duplicates, errors };
  }

  /** Saves one job and resolves with its id (null when an identical job is waiting). */
  async saveJob(
    job: ImageJob,
    opts: { probe?: boolean; id?: string } = {},
  ): Promise<string | null> {
    const beeJob = this.createJob(job, opts);
    await beeJob.save();
    return beeJob.id;
  }

  async counts(): Promise<QueueCounts> {
    const health = await this.bee.checkHealth();
    return { waiting: health.waiting, active: health.active, delayed: health.delayed };
  }

  /** The data of a job still in bee-queue (waiting, active or delayed), or null. */
  async findJob(
    id: string,
  ): Promise<{ status: string; data: JobWire; retriesLeft: number } | null> {
    const job = await this.bee.getJob(id);
    if (!job) {
      return null;
    }
    return { status: job.status, data: job.data, retriesLeft: job.options.retries ?? 0 };
  }

  async removeJob(id: string): Promise<void> {
    await this.bee.removeJob(id);
  }

  /** Starts the periodic check that returns stalled jobs to the queue. */
  startStallCheck(): void {
    void this.bee.checkStalledJobs(this.stallIntervalMs);
  }

  /** Stops taking jobs, waits up to `timeoutMs` for the active ones, then disconnects. */
  async close(timeoutMs = 30_000): Promise<void> {
    await this.bee.close(timeoutMs);
  }

  private createJob(job: ImageJob, opts: { probe?: boolean; id?: string } = {}) {
    const wire = toWire(job);
    if (opts.probe) {
      wire.probe = true;
    }

    return this.bee
      .createJob(wire)
      .setId(opts.id ?? `${job.collection}.${pointIdFor(job.productId, job.imageKey)}`)
      .retries(this.opts.retries)
      .backoff('exponential', this.opts.backoffMs)
      .timeout(this.opts.jobTimeoutMs);
  }
}

/**
 * How long a worker keeps reconnecting to a Redis that went away before it gives up and
 * exits (non-zero), 15 minutes. Its jobs in hand return to the queue through stall
 * detection once Redis and another worker are back.
 */
export const REDIS_RECONNECT_LIMIT_MS = 15 * 60_000;

// bee-queue speaks node_redis v3, whose connect_timeout is not a connect timeout: it is
// the total time allowed for reconnecting after the connection is lost, after which the
// client is closed for good ("connection in broken state"). The caller has already proved
// Redis reachable, so allow long outages and reconnect with a capped delay.
function redisSettings(url: string) {
  return {
    url,
    connect_timeout: REDIS_RECONNECT_LIMIT_MS,
    retry_strategy: (options: { attempt: number }) => Math.min(options.attempt * 250, 2000),
  };
}

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  return value && Number(value) > 0 ? Number(value) : undefined;
}
