import type { ImageJob, Outcome } from '../core/types.js';
import { CollectionGuard } from '../pipeline/collection-guard.js';
import { type StageTimings, indexBatch } from '../pipeline/index-batch.js';
import type { StageResult } from './bench-report.js';
import { startCpuWindow } from './cpu-usage.js';
import { type InProcessDeps, countOutcomes, cpuPerItem } from './sync-bench.js';

/**
 * The pipeline's stages per item, from `indexBatch` run in this process over batches of
 * the workers' size, one batch after another: read (with the unchanged-image check),
 * decode and resize, embed, upsert. `queueMs` (measured separately, see queue-overhead.ts)
 * completes the cost of an item outside the model. The collection must be empty beforehand.
 *
 * Images are decoded one at a time here, unlike in a worker: the pipeline times each
 * decode from start to end, and with several in flight on few cores those spans include
 * waiting for a core, so their sum would overstate what decoding costs.
 */
export async function benchStages(
  jobs: ImageJob[],
  deps: InProcessDeps,
  batchSize: number,
  queueMs: number,
  checkAbort: () => void,
  settle: () => Promise<void>,
): Promise<StageResult> {
  const pipeline = {
    embedders: deps.embedders,
    store: deps.store,
    collections: new CollectionGuard(deps.store),
    decodeConcurrency: 1,
  };
  const timings: StageTimings = { read: 0, decode: 0, embed: 0, upsert: 0 };
  const outcomes: Outcome[] = [];
  let batches = 0;

  await settle();
  const cpu = startCpuWindow([process.pid]);
  const started = performance.now();

  for (let start = 0; start < jobs.length; start += batchSize) {
    checkAbort();
    const result = await indexBatch(jobs.slice(start, start + batchSize), pipeline);
    outcomes.push(...result.outcomes);
    for (const stage of Object.keys(timings) as (keyof StageTimings)[]) {
      timings[stage] += result.timings[stage];
    }
    batches++;
  }

  const wallMs = performance.now() - started;
  const window = cpu.stop();
  const items = jobs.length;
  const perItem = (ms: number) => ms / items;

  return {
    batchSize,
    batches,
    items,
    ...countOutcomes(outcomes),
    itemsPerSecond: (1000 * items) / wallMs,
    wallMsPerItem: perItem(wallMs),
    readMs: perItem(timings.read),
    decodeMs: perItem(timings.decode),
    embedMsPerBatch: timings.embed / batches,
    embedMsPerItem: perItem(timings.embed),
    upsertMs: perItem(timings.upsert),
    queueMs,
    overheadMs: perItem(timings.read + timings.decode + timings.upsert) + queueMs,
    cpuMsPerItem: cpuPerItem(window, items),
    backgroundCores: window.backgroundCores,
  };
}
