import type { Redis } from 'ioredis';

import type { Outcome } from '../core/types.js';
import { queueKeys } from './keys.js';

/** How long a finished job's outcome stays queryable with `idx status <job-id>`. */
const OUTCOME_TTL_SECONDS = 7 * 24 * 3600;

/** How many recent failures are kept for `idx status`. */
const FAILURES_KEPT = 200;

/** Completions older than this are dropped from the throughput window. */
const THROUGHPUT_WINDOW_MS = 10 * 60_000;

export interface JobCounters {
  indexed: number;
  skipped: number;
  failed: number;
  retried: number;
}

export interface FailureRecord {
  jobId: string;
  image: string;
  reason: string;
  worker: string;
  at: string;
}

export interface JobOutcomeRecord {
  jobId: string;
  state: string;
  image: string;
  attempts: number;
  reason?: string;
  /** For an image indexed in part, what was indexed (see indexBatch). */
  note?: string;
  worker?: string;
  finishedAt?: string;
}

/**
 * idx's own record of finished jobs: counters, recent failures, recent completion times
 * and each job's outcome. bee-queue forgets finished jobs, so this is what `status` reads.
 */
export class JobRecords {
  private readonly keys;

  constructor(
    private readonly redis: Redis,
    queue: string,
  ) {
    this.keys = queueKeys(queue);
  }

  /** Records a job's final outcome in one round trip. */
  async recordOutcome(
    jobId: string,
    image: string,
    outcome: Outcome,
    meta: { worker: string; attempts: number },
  ): Promise<void> {
    const now = Date.now();
    const counter = outcome.status;
    const record: Record<string, string> = {
      state: outcome.status,
      image,
      attempts: String(meta.attempts),
      worker: meta.worker,
      finishedAt: new Date(now).toISOString(),
    };
    if (outcome.status !== 'indexed') {
      record.reason = outcome.reason;
    } else if (outcome.note) {
      record.note = outcome.note;
    }

    const pipeline = this.redis
      .multi()
      .hincrby(this.keys.stats, counter, 1)
      .hset(this.keys.job(jobId), record)
      .expire(this.keys.job(jobId), OUTCOME_TTL_SECONDS)
      .zadd(this.keys.completions, now, `${now}:${jobId}`)
      .zremrangebyscore(this.keys.completions, 0, now - THROUGHPUT_WINDOW_MS);

    if (outcome.status === 'failed') {
      const failure: FailureRecord = {
        jobId,
        image,
        reason: outcome.reason,
        worker: meta.worker,
        at: record.finishedAt,
      };
      pipeline
        .lpush(this.keys.failures, JSON.stringify(failure))
        .ltrim(this.keys.failures, 0, FAILURES_KEPT - 1);
    }

    await pipeline.exec();
  }

  /**
   * Images enqueue refused before queueing (missing, empty, not images): counted as failed
   * and listed with the failures, without a job id, so that `idx status` accounts for every
   * image it was given.
   */
  async recordRefused(refused: { image: string; reason: string }[]): Promise<void> {
    if (refused.length === 0) {
      return;
    }

    const at = new Date().toISOString();
    const pipeline = this.redis.multi().hincrby(this.keys.stats, 'failed', refused.length);
    for (const { image, reason } of refused) {
      const failure: FailureRecord = { jobId: '', image, reason, worker: 'enqueue', at };
      pipeline.lpush(this.keys.failures, JSON.stringify(failure));
    }
    await pipeline.ltrim(this.keys.failures, 0, FAILURES_KEPT - 1).exec();
  }

  async recordRetry(jobId: string, reason: string, attempts: number): Promise<void> {
    await this.redis
      .multi()
      .hincrby(this.keys.stats, 'retried', 1)
      .hset(this.keys.job(jobId), { state: 'retrying', reason, attempts: String(attempts) })
      .expire(this.keys.job(jobId), OUTCOME_TTL_SECONDS)
      .exec();
  }

  async counters(): Promise<JobCounters> {
    const raw = await this.redis.hgetall(this.keys.stats);
    const read = (name: string) => Number(raw[name] ?? 0);
    return {
      indexed: read('indexed'),
      skipped: read('skipped'),
      failed: read('failed'),
      retried: read('retried'),
    };
  }

  async recentFailures(limit = 10): Promise<FailureRecord[]> {
    const raw = await this.redis.lrange(this.keys.failures, 0, limit - 1);
    return raw.map((line) => JSON.parse(line) as FailureRecord);
  }

  /**
   * Jobs finished per second over the last `windowMs`, or over the time since the first of
   * them when the run is younger than that, so a fresh run's rate is not understated.
   */
  async recentRate(windowMs = 60_000): Promise<{ perSecond: number; finished: number }> {
    const now = Date.now();
    const [finished, oldest] = await Promise.all([
      this.redis.zcount(this.keys.completions, now - windowMs, now),
      this.redis.zrangebyscore(
        this.keys.completions,
        now - windowMs,
        now,
        'WITHSCORES',
        'LIMIT',
        0,
        1,
      ),
    ]);
    if (finished < 2) {
      return { perSecond: 0, finished };
    }

    const spanMs = Math.max(1000, now - Number(oldest[1]));
    return { perSecond: finished / (Math.min(windowMs, spanMs) / 1000), finished };
  }

  async outcome(jobId: string): Promise<JobOutcomeRecord | null> {
    const raw = await this.redis.hgetall(this.keys.job(jobId));
    if (!raw.state) {
      return null;
    }
    return {
      jobId,
      state: raw.state,
      image: raw.image ?? '',
      attempts: Number(raw.attempts ?? 0),
      reason: raw.reason,
      note: raw.note,
      worker: raw.worker,
      finishedAt: raw.finishedAt,
    };
  }

  async forgetJob(jobId: string): Promise<void> {
    await this.redis.del(this.keys.job(jobId));
  }

  /** Undoes one recorded outcome; used by diagnose to leave no trace of its probe. */
  async uncount(status: Outcome['status']): Promise<void> {
    await this.redis.hincrby(this.keys.stats, status, -1);
  }
}
