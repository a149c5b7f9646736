import type { ImageJob, Outcome } from '../core/types.js';
import type { Embedder } from '../embed/embedder.js';
import { CollectionGuard } from '../pipeline/collection-guard.js';
import type { EmbedderPool } from '../pipeline/embedder-pool.js';
import { indexSynchronously } from '../pipeline/sync-indexer.js';
import type { VectorStore } from '../store/vector-store.js';
import { percentile } from '../util/stats.js';
import type { SyncResult } from './bench-report.js';
import { type CpuWindow, startCpuWindow } from './cpu-usage.js';

/** What the in-process runs share: the loaded model and the open store. */
export interface InProcessDeps {
  embedders: EmbedderPool;
  embedder: Embedder;
  store: VectorStore;
}

/**
 * The fallback path as `idx enqueue` runs it without Redis (`indexSynchronously`), one
 * image per batch: read, decode, embed, upsert, then the next. Each image's wall time is
 * the gap between two progress calls. The collection must be empty beforehand.
 */
export async function benchSync(
  jobs: ImageJob[],
  deps: InProcessDeps,
  checkAbort: () => void,
  settle: () => Promise<void>,
): Promise<SyncResult> {
  const durations: number[] = [];
  const pipeline = {
    embedders: deps.embedders,
    store: deps.store,
    collections: new CollectionGuard(deps.store),
  };

  await settle();
  const cpu = startCpuWindow([process.pid]);
  const started = performance.now();
  let last = started;

  const { outcomes } = await indexSynchronously(jobs, pipeline, {
    batchSize: 1,
    onProgress: () => {
      const now = performance.now();
      durations.push(now - last);
      last = now;
      checkAbort();
    },
  });

  const seconds = (performance.now() - started) / 1000;
  const window = cpu.stop();

  return {
    items: jobs.length,
    ...countOutcomes(outcomes),
    itemsPerSecond: jobs.length / seconds,
    p50Ms: percentile(durations, 50),
    p95Ms: percentile(durations, 95),
    p99Ms: percentile(durations, 99),
    threads: deps.embedder.info.threads,
    cpuMsPerItem: cpuPerItem(window, jobs.length),
    backgroundCores: window.backgroundCores,
  };
}

/** CPU ms per item of a window, or null when the CPU could not be read. */
export function cpuPerItem(window: CpuWindow, items: number): number | null {
  return window.ownCores === null ? null : (window.ownCores * window.wallMs) / items;
}

export function countOutcomes(outcomes: Outcome[]): {
  indexed: number;
  skipped: number;
  failed: number;
} {
  const counts = { indexed: 0, skipped: 0, failed: 0 };
  for (const outcome of outcomes) {
    counts[outcome.status]++;
  }
  return counts;
}
