import fs from 'node:fs';
import path from 'node:path';

import type { Redis } from 'ioredis';

import type { IdxConfig } from '../config/config.js';
import { errorMessage } from '../core/errors.js';
import { type WorkerStatus, Heartbeats } from '../queue/heartbeats.js';
import type { JobWire } from '../queue/job-data.js';
import { type FailureRecord, JobRecords } from '../queue/job-records.js';
import { BEE_PREFIX } from '../queue/keys.js';
import { closeRedis, connectRedis } from '../queue/redis-connection.js';
import { openStore } from '../store/open-store.js';
import { SQLITE_FILE } from '../store/sqlite-store.js';
import { maskUrl } from '../util/mask.js';

/** Jobs by state, and idx's outcome counters since the queue was first used. */
export interface QueueCounts {
  waiting: number;
  active: number;
  /** Jobs that ended well: indexed plus skipped as unchanged. */
  succeeded: number;
  failed: number;
  delayed: number;
  indexed: number;
  skipped: number;
  retried: number;
}

/** Everything `idx status` shows. Counts are jobs; `points` is what the store holds. */
export interface StatusReport {
  redis: { available: boolean; url: string; error?: string };
  queue: string;
  /** null when Redis cannot be reached: the figures are unknown, not zero. */
  counts: QueueCounts | null;
  workers: WorkerStatus[];
  throughput: { perMinute: number; etaSeconds: number | null };
  store: {
    backend: string;
    location: string;
    collection: string;
    points: number | null;
    /** False when there is no embedded store at the location yet. */
    exists?: boolean;
    error?: string;
  };
  failures: FailureRecord[];
}

/** One job's state, from bee-queue while it is pending and from idx's record after. */
export interface JobStatus {
  jobId: string;
  state:
    'waiting' | 'active' | 'delayed' | 'indexed' | 'skipped' | 'failed' | 'retrying' | 'unknown';
  image?: string;
  attempts?: number;
  reason?: string;
  note?: string;
  worker?: string;
  finishedAt?: string;
}

/** Collects the status report. Never throws for an unreachable Redis or store: it reports them. */
export async function collectStatus(config: IdxConfig): Promise<StatusReport> {
  const report: StatusReport = {
    redis: { available: false, url: maskUrl(config.redisUrl) },
    queue: config.queue,
    counts: null,
    workers: [],
    throughput: { perMinute: 0, etaSeconds: null },
    store: {
      backend: config.qdrantUrl ? 'qdrant' : 'sqlite',
      location: '',
      collection: config.collection,
      points: null,
    },
    failures: [],
  };

  let redis: Redis | undefined;
  try {
    redis = await connectRedis(config.redisUrl, config.redisTimeoutMs);
    report.redis.available = true;
    await fillQueueFigures(redis, config.queue, report);
  } catch (err) {
    report.redis.error = errorMessage(err);
  } finally {
    if (redis) {
      await closeRedis(redis);
    }
  }

  await fillStoreFigures(config, report);
  return report;
}

async function fillQueueFigures(redis: Redis, queue: string, report: StatusReport) {
  const records = new JobRecords(redis, queue);
  const bee = (name: string) => `${BEE_PREFIX}:${queue}:${name}`;
  const [waiting, active, delayed, counters, workers, failures, rate] = await Promise.all([
    redis.llen(bee('waiting')),
    redis.llen(bee('active')),
    redis.zcard(bee('delayed')),
    records.counters(),
    new Heartbeats(redis, queue).list(),
    records.recentFailures(10),
    records.recentRate(60_000),
  ]);

  report.counts = {
    waiting,
    active,
    delayed,
    succeeded: counters.indexed + counters.skipped,
    failed: counters.failed,
    indexed: counters.indexed,
    skipped: counters.skipped,
    retried: counters.retried,
  };
  report.workers = workers;
  report.failures = failures;

  const remaining = waiting + active + delayed;
  report.throughput.perMinute = Math.round(rate.perSecond * 60 * 10) / 10;
  report.throughput.etaSeconds =
    remaining === 0 ? 0 : rate.perSecond > 0 ? Math.ceil(remaining / rate.perSecond) : null;
}

async function fillStoreFigures(config: IdxConfig, report: StatusReport) {
  // Looking must not create: an embedded store that does not exist yet holds no points.
  if (!config.qdrantUrl && !fs.existsSync(path.join(config.dataDir, SQLITE_FILE))) {
    report.store.location = path.join(config.dataDir, SQLITE_FILE);
    report.store.points = 0;
    report.store.exists = false;
    return;
  }

  try {
    const store = await openStore(config);
    report.store.location = store.location;
    try {
      const info = await store.describeCollection(config.collection);
      report.store.points = info ? info.points : 0;
    } finally {
      await store.close();
    }
  } catch (err) {
    report.store.error = errorMessage(err);
  }
}

/** The state of one job by id. */
export async function collectJobStatus(config: IdxConfig, jobId: string): Promise<JobStatus> {
  const redis = await connectRedis(config.redisUrl, config.redisTimeoutMs);
  try {
    const bee = (name: string) => `${BEE_PREFIX}:${config.queue}:${name}`;
    const [data, inActive, delayedScore, record] = await Promise.all([
      redis.hget(bee('jobs'), jobId),
      redis.lpos(bee('active'), jobId),
      redis.zscore(bee('delayed'), jobId),
      new JobRecords(redis, config.queue).outcome(jobId),
    ]);

    if (data) {
      const wire = JSON.parse(data) as { data: JobWire; options: { retries?: number } };
      const state = inActive !== null ? 'active' : delayedScore !== null ? 'delayed' : 'waiting';
      return {
        jobId,
        state,
        image: wire.data.image_path,
        attempts: record?.attempts,
        reason: record?.reason,
      };
    }
    if (record) {
      return { ...record, state: record.state as JobStatus['state'] };
    }
    return { jobId, state: 'unknown' };
  } finally {
    await closeRedis(redis);
  }
}
