/**
 * Redis key names. bee-queue owns `bq:<queue>:*`; idx keeps its own records under
 * `idx:<queue>:*` so that finished jobs can be removed from bee-queue without losing counts.
 */
export function queueKeys(queue: string) {
  const base = `idx:${queue}`;
  return {
    /** Hash of counters: indexed, skipped, failed, retried. */
    stats: `${base}:stats`,
    /** List of the newest failures, JSON, capped. */
    failures: `${base}:failures`,
    /** Sorted set of completion times (ms) for recent throughput. */
    completions: `${base}:completions`,
    /** Hash of worker id to the worker's last heartbeat, JSON. */
    workers: `${base}:workers`,
    /** Hash per job with its final outcome; expires. */
    job: (jobId: string) => `${base}:job:${jobId}`,
  };
}

/** bee-queue's key prefix. */
export const BEE_PREFIX = 'bq';
