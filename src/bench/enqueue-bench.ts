import type { Redis } from 'ioredis';

import type { ImageJob } from '../core/types.js';
import { JobQueue } from '../queue/job-queue.js';
import { percentile } from '../util/stats.js';
import type { EnqueueResult } from './bench-report.js';
import { copyOf } from './bench-images.js';
import { clearQueueKeys } from './cleanup.js';

export interface EnqueueBenchOptions {
  redis: Redis;
  redisUrl: string;
  queue: string;
  /** Real jobs of the workload; the bench queues copies of them under other keys. */
  jobs: ImageJob[];
  /** Single saves timed one by one. */
  samples: number;
  /** Jobs per bulk round. */
  bulkJobs: number;
  /** Bulk rounds; the median rate is reported. */
  rounds: number;
  checkAbort: () => void;
  /** Waits for the machine to be quiet before each timed part (see waitForQuiet). */
  settle: () => Promise<void>;
}

/**
 * Times the queue's two write paths on the bench's own queue, with no worker taking jobs:
 * `saveJob` one job at a time (each waits for Redis), and `saveJobs` in bulk (pipelined).
 * The jobs are deleted afterwards; none is ever processed.
 */
export async function benchEnqueue(opts: EnqueueBenchOptions): Promise<EnqueueResult> {
  const queue = new JobQueue({ redisUrl: opts.redisUrl, queue: opts.queue });

  try {
    await queue.ready();
    await opts.settle();
    const latencies = await timeSingleSaves(queue, opts);
    await clearQueueKeys(opts.redis, opts.queue);

    const rounds: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      opts.checkAbort();
      const jobs = copies(opts.jobs, opts.bulkJobs, `bulk${round}`);
      await opts.settle();
      const started = performance.now();
      const result = await queue.saveJobs(jobs);
      const seconds = (performance.now() - started) / 1000;

      assertAllSaved(result, jobs.length);
      rounds.push(jobs.length / seconds);
      await clearQueueKeys(opts.redis, opts.queue);
    }

    return {
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
      samples: latencies.length,
      bulkJobsPerSecond: percentile(rounds, 50),
      bulkJobs: opts.bulkJobs,
      bulkRounds: rounds,
    };
  } finally {
    await queue.close();
    await clearQueueKeys(opts.redis, opts.queue);
  }
}

async function timeSingleSaves(queue: JobQueue, opts: EnqueueBenchOptions): Promise<number[]> {
  const jobs = copies(opts.jobs, opts.samples, 'single');
  const latencies: number[] = [];

  // A few untimed saves first, so that loading bee-queue's Lua scripts is not measured.
  for (const job of copies(opts.jobs, 5, 'warm')) {
    await queue.saveJob(job);
  }

  for (const job of jobs) {
    if (latencies.length % 100 === 0) {
      opts.checkAbort();
    }
    const started = performance.now();
    await queue.saveJob(job);
    latencies.push(performance.now() - started);
  }

  return latencies;
}

/** `count` jobs cycling over the workload, each under its own key. */
export function copies(jobs: ImageJob[], count: number, label: string): ImageJob[] {
  return Array.from({ length: count }, (_, index) =>
    copyOf(jobs[index % jobs.length], `${label}-${index}`),
  );
}

/** The bench's numbers are only meaningful if every job really went into Redis. */
export function assertAllSaved(
  result: { ids: string[]; duplicates: unknown[]; errors: { error: Error }[] },
  expected: number,
): void {
  if (result.ids.length === expected) {
    return;
  }

  const reason = result.errors[0]?.error.message ?? `${result.duplicates.length} were duplicates`;
  throw new Error(`only ${result.ids.length} of ${expected} bench jobs were queued: ${reason}`);
}
