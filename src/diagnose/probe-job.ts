import fs from 'node:fs/promises';
import path from 'node:path';

import type { Redis } from 'ioredis';

import type { IdxConfig } from '../config/config.js';
import { modelReference } from '../config/model-reference.js';
import { errorMessage } from '../core/errors.js';
import type { ImageJob } from '../core/types.js';
import { readImageFile, sha256Of } from '../images/file-facts.js';
import type { JobQueue } from '../queue/job-queue.js';
import { JobRecords } from '../queue/job-records.js';
import { queueKeys } from '../queue/keys.js';
import { pointIdFor } from '../store/point-id.js';
import type { VectorStore } from '../store/vector-store.js';
import { withTimeout } from '../util/concurrency.js';

/** The product id every probe point carries, so a left-over one is easy to find. */
export const PROBE_PRODUCT = 'idx-diagnose-probe';

export interface ProbeJob {
  job: ImageJob;
  jobId: string;
  pointId: string;
}

/**
 * A job for the probe image with an image key of its own, so it is never skipped as
 * "unchanged" and never collides with a real product's point.
 */
export async function makeProbeJob(
  config: IdxConfig,
  image: string,
  bytes?: Buffer,
): Promise<ProbeJob> {
  const data = bytes ?? (await readImageFile(image));
  const stat = await fs.stat(image);
  const stamp = Date.now();
  // One point id for every probe: a probe a crashed or interrupted run left behind is
  // replaced, and removed, by the next run instead of piling up in the collection.
  const imageKey = `idx-diagnose/probe${path.extname(image)}`;
  const job: ImageJob = {
    productId: PROBE_PRODUCT,
    name: 'idx diagnose probe',
    category: 'idx-diagnose',
    imagePath: image,
    imageKey,
    size: data.length,
    mtimeMs: Math.round(stat.mtimeMs),
    sha256: sha256Of(data),
    extra: { probe: 'true' },
    model: modelReference(config.model),
    dtype: config.dtype,
    collection: config.collection,
  };
  return { job, jobId: `probe-${stamp}`, pointId: pointIdFor(PROBE_PRODUCT, imageKey) };
}

export interface CleanupTargets {
  probe: ProbeJob;
  store?: VectorStore;
  redis?: Redis;
  queueName: string;
  queue?: JobQueue;
}

/**
 * Removes every trace of the probe: its point, its job in bee-queue, its outcome record,
 * and its contribution to the counters, the throughput window and the failure list.
 * Each step is bounded; what could not be removed is reported, not thrown.
 */
export async function cleanUpProbe(
  targets: CleanupTargets,
  timeoutMs: number,
): Promise<{ removed: string[]; leftBehind: string[] }> {
  const removed: string[] = [];
  const leftBehind: string[] = [];
  const { probe, store, redis } = targets;
  const step = async (what: string, work: () => Promise<unknown>) => {
    try {
      await withTimeout(
        work(),
        Math.max(100, timeoutMs),
        () => new Error(`no answer within ${timeoutMs} ms`),
      );
      removed.push(what);
    } catch (err) {
      leftBehind.push(`${what}: ${errorMessage(err)}`);
    }
  };

  if (store) {
    await step(`point ${probe.pointId}`, () =>
      store.deletePoints(probe.job.collection, [probe.pointId]),
    );
  }
  if (targets.queue) {
    const queue = targets.queue;
    await step(`job ${probe.jobId}`, () => queue.removeJob(probe.jobId));
  }
  if (redis) {
    await step('outcome record and counts', () => forgetRecord(redis, targets));
  }
  return { removed, leftBehind };
}

async function forgetRecord(redis: Redis, targets: CleanupTargets): Promise<void> {
  const { jobId } = targets.probe;
  const records = new JobRecords(redis, targets.queueName);
  const keys = queueKeys(targets.queueName);
  const record = await records.outcome(jobId);
  await records.forgetJob(jobId);
  if (!record) {
    return;
  }

  const state = record.state;
  if (state === 'indexed' || state === 'skipped' || state === 'failed') {
    await records.uncount(state);
  }
  const retries = Math.max(0, record.attempts - 1);
  if (retries > 0) {
    await redis.hincrby(keys.stats, 'retried', -retries);
  }

  let cursor = '0';
  do {
    const [next, found] = await redis.zscan(
      keys.completions,
      cursor,
      'MATCH',
      `*:${jobId}`,
      'COUNT',
      1000,
    );
    for (let i = 0; i < found.length; i += 2) {
      await redis.zrem(keys.completions, found[i]);
    }
    cursor = next;
  } while (cursor !== '0');
  for (const line of await redis.lrange(keys.failures, 0, -1)) {
    if (line.includes(`"${jobId}"`)) {
      await redis.lrem(keys.failures, 0, line);
    }
  }
}

/** Closes the probe's bee-queue connection, dropping it when Redis does not answer. */
export async function closeQueue(queue: JobQueue, timeoutMs: number): Promise<void> {
  try {
    await withTimeout(queue.close(timeoutMs), timeoutMs + 200, () => new Error('close timed out'));
  } catch {
    const client = (queue.bee as unknown as { client?: { end(flush: boolean): void } }).client;
    client?.end(true);
  }
}
