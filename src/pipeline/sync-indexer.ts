import { IdxError, errorMessage, isTransient } from '../core/errors.js';
import type { ImageJob, Outcome } from '../core/types.js';
import { sleep } from '../util/concurrency.js';
import { type PipelineDeps, type StageTimings, groupJobs, indexBatch } from './index-batch.js';

export interface SyncOptions {
  /** Images per model call and per upsert. */
  batchSize: number;
  /** Attempts per batch when the store has a transient fault. Default 4. */
  attempts?: number;
  /** Called after each batch with the number of images finished so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Indexes jobs in this process, batch by batch: the fallback when Redis is unavailable,
 * and the baseline that `idx bench` compares the queue against.
 */
export async function indexSynchronously(
  jobs: ImageJob[],
  deps: PipelineDeps,
  opts: SyncOptions,
): Promise<{ outcomes: Outcome[]; timings: StageTimings }> {
  const outcomes = new Array<Outcome>(jobs.length);
  const timings: StageTimings = { read: 0, decode: 0, embed: 0, upsert: 0 };
  let done = 0;

  for (const group of groupJobs(jobs)) {
    for (let start = 0; start < group.jobs.length; start += opts.batchSize) {
      const batch = group.jobs.slice(start, start + opts.batchSize);
      const result = await withRetries(() => indexBatch(batch, deps), opts.attempts ?? 4).catch(
        (err: unknown) => failedBatch(batch.length, err),
      );

      result.outcomes.forEach((outcome, i) => (outcomes[group.indexes[start + i]] = outcome));
      for (const stage of Object.keys(timings) as (keyof StageTimings)[]) {
        timings[stage] += result.timings[stage];
      }

      done += batch.length;
      opts.onProgress?.(done, jobs.length);
    }
  }

  return { outcomes, timings };
}

// After the last retry the batch's images fail with the fault's reason, so the run goes on
// and the counts still add up.
function failedBatch(size: number, err: unknown) {
  const code = err instanceof IdxError ? err.code : 'FAILED';
  const outcome: Outcome = { status: 'failed', reason: errorMessage(err), code };
  return {
    outcomes: Array.from({ length: size }, () => outcome),
    timings: { read: 0, decode: 0, embed: 0, upsert: 0 },
  };
}

async function withRetries<T>(work: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isTransient(err) || attempt >= attempts) {
        throw err;
      }
      const retryAfter = (err as { retryAfterMs?: number }).retryAfterMs;
      await sleep(retryAfter ?? 500 * 2 ** (attempt - 1));
    }
  }
}
