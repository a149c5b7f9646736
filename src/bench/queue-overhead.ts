import type { Redis } from 'ioredis';

import type { ImageJob, Outcome } from '../core/types.js';
import { JobQueue } from '../queue/job-queue.js';
import { JobRecords } from '../queue/job-records.js';
import { sleep } from '../util/concurrency.js';
import { assertAllSaved, copies } from './enqueue-bench.js';
import { clearQueueKeys } from './cleanup.js';

export interface QueueOverheadOptions {
  redis: Redis;
  redisUrl: string;
  queue: string;
  jobs: ImageJob[];
  /** Jobs run through the queue. */
  count: number;
  /** Jobs in flight, as a worker holds them (batch size x concurrency). */
  concurrency: number;
  checkAbort: () => void;
}

/**
 * The queue's share of a worker's time per job, with everything else taken away: a real
 * bee-queue worker (the same JobQueue `idx work` uses, same concurrency) whose handler only
 * records the outcome as the worker does. Jobs are queued first, then timed from the first
 * take to the last recorded outcome; the result is milliseconds per job.
 */
export async function measureQueueOverhead(opts: QueueOverheadOptions): Promise<number> {
  const producer = new JobQueue({ redisUrl: opts.redisUrl, queue: opts.queue });
  const jobs = copies(opts.jobs, opts.count, 'overhead');

  try {
    await producer.ready();
    assertAllSaved(await producer.saveJobs(jobs), jobs.length);
  } finally {
    await producer.close();
  }

  const records = new JobRecords(opts.redis, opts.queue);
  const consumer = new JobQueue({ redisUrl: opts.redisUrl, queue: opts.queue, worker: true });
  const outcome: Outcome = { status: 'skipped', pointId: '', reason: 'queue overhead probe' };
  let finished = 0;
  let lastFinished = 0;

  try {
    await consumer.ready();
    const started = performance.now();
    consumer.bee.process(opts.concurrency, async (job) => {
      await records.recordOutcome(job.id, job.data.image_path, outcome, {
        worker: 'bench-queue-probe',
        attempts: 1,
      });
      finished++;
      lastFinished = performance.now();
      return outcome;
    });

    while (finished < jobs.length) {
      opts.checkAbort();
      await sleep(5);
    }
    return (lastFinished - started) / jobs.length;
  } finally {
    await consumer.close(5000);
    await clearQueueKeys(opts.redis, opts.queue);
  }
}
