import type { Dtype } from '../core/types.js';
import type { MachineInfo } from './cpu-usage.js';

/**
 * What `idx bench` measured, as `--json` prints it and `--report` writes it. Every figure
 * comes from a timed run on this machine; times are milliseconds, rates per second.
 * Figures that could not be measured (CPU use off Linux) are null, never estimated.
 */
export interface BenchReport {
  startedAt: string;
  /** Wall time of the whole bench, seconds. */
  seconds: number;
  machine: MachineInfo;
  model: {
    /** As given (`compute-equivalent` stays recognisable). */
    name: string;
    /** The folder or hub id actually loaded. */
    reference: string;
    dtype: Dtype;
    dimension: number;
    /** Images per model call and per store write, as the workers use it. */
    batchSize: number;
    /** Batches each worker keeps in flight. */
    concurrency: number;
    /** The `--threads` override, or null when each process chose for itself. */
    threads: number | null;
  };
  images: {
    folder: string;
    /** Files benched. */
    files: number;
    count: number;
    /** Files of the folder left out: not images, or they do not decode. */
    leftOut: { image: string; reason: string }[];
  };
  /** How the run coped with a shared machine (`--wait-quiet`). */
  conditions: {
    /** The most cores other processes could use before a timed part began; null: no waiting. */
    quietCores: number | null;
    /** Time spent waiting for quiet, seconds. */
    quietWaitSeconds: number;
    /** Timed parts that began without quiet, after the longest wait. */
    notQuiet: number;
  };
  store: { backend: string };
  enqueue: EnqueueResult;
  sync: SyncResult;
  stages: StageResult;
  queued: QueuedResult[];
  limit: LimitResult;
  /** Best queued items/s divided by `limit.itemsPerSecond`. */
  efficiency: number;
  overhead: OverheadResult;
  ratios: Ratios;
  targets: TargetResult[];
  cleanup: CleanupResult;
}

export interface EnqueueResult {
  /** Latency of queueing one job, waiting for Redis each time. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  samples: number;
  /** Jobs per second when queued in bulk (pipelined), median of the rounds. */
  bulkJobsPerSecond: number;
  /** Jobs per bulk round and each round's rate. */
  bulkJobs: number;
  bulkRounds: number[];
}

/** What became of the images of one part of the run. */
export interface ItemCounts {
  items: number;
  indexed: number;
  skipped: number;
  failed: number;
}

export interface SyncResult extends ItemCounts {
  itemsPerSecond: number;
  /** Wall time per image, one image at a time: read, decode, embed, upsert. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** ONNX threads of the in-process model. */
  threads: number;
  /** CPU of the bench process per item; null off Linux. */
  cpuMsPerItem: number | null;
  backgroundCores: number | null;
}

export interface StageResult extends ItemCounts {
  /** In-process batches of `batchSize`, one after another (no queue), one decode at a time. */
  batchSize: number;
  batches: number;
  itemsPerSecond: number;
  /** Wall time per item of that run. */
  wallMsPerItem: number;
  /** Per item, as the pipeline times each stage. */
  readMs: number;
  decodeMs: number;
  embedMsPerBatch: number;
  embedMsPerItem: number;
  upsertMs: number;
  /** Worker-side queue work per job: take, finish, record the outcome (see queue-overhead.ts). */
  queueMs: number;
  /** read + decode + upsert + queue: what an item costs outside the model. */
  overheadMs: number;
  /** CPU of the bench process per item over the whole run; null off Linux. */
  cpuMsPerItem: number | null;
  backgroundCores: number | null;
}

export interface QueuedResult extends ItemCounts {
  workers: number;
  /** Items divided by the time from the first job queued to the last one finished. */
  itemsPerSecond: number;
  /** Enqueue-to-completed per job. All jobs are queued at once, so this includes waiting. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  seconds: number;
  /** Worker wall time per item: workers x seconds / items. */
  workerMsPerItem: number;
  /** Worker CPU time per item, all workers together; null off Linux. */
  cpuMsPerItem: number | null;
  /** CPU of all workers together, in percent of one core; null off Linux. */
  cpuPercent: number | null;
  /** ONNX threads each worker chose (or was given), as it logged them. */
  threadsPerWorker: (number | null)[];
  perWorker: { id: string; indexed: number; cpuPercent: number | null }[];
  backgroundCores: number | null;
  /** With --repeat: the items/s of every round, in order; this result is the median one. */
  rounds?: number[];
}

export interface LimitCandidate {
  threads: number;
  batchSize: number;
  /** Median of the windows. */
  itemsPerSecond: number;
  /** CPU of the bench process per item, median of the windows; null off Linux. */
  cpuMsPerItem: number | null;
  windows: number[];
}

/** The model and decoding run together in one arrangement (see limit-bench.ts). */
export interface TogetherCandidate {
  /** Models running at once, each on its own thread. */
  lanes: number;
  /** ONNX threads of each. */
  threads: number;
  batchSize: number;
  /** Median of the windows. */
  itemsPerSecond: number;
  cpuMsPerItem: number | null;
  windows: number[];
}

export interface LimitResult {
  /**
   * Model plus preprocessing on this machine: the best measured arrangement of the two
   * together (`togetherItemsPerSecond`), or `byTimeItemsPerSecond` when that is higher.
   */
  itemsPerSecond: number;
  /** Which figure `itemsPerSecond` is. */
  basis: 'together' | 'time';
  /** Decoding and the model together, best arrangement, median window. */
  togetherItemsPerSecond: number;
  /** 1 / (1/model + 1/decode), both measured alone on the whole machine. */
  byTimeItemsPerSecond: number;
  /**
   * cores x 1000 / `cpuMsPerItem`: what the parts' CPU cost alone allows with every core
   * busy (not a ceiling; see limit-bench.ts); null off Linux.
   */
  byCpuItemsPerSecond: number | null;
  /** The model alone on preprocessed tensors, at the best thread count and batch size. */
  modelItemsPerSecond: number;
  threads: number;
  batchSize: number;
  /** The model's CPU per item at its most CPU-efficient setting tried; null off Linux. */
  modelCpuMsPerItem: number | null;
  /** Decode and resize alone, with `decodeConcurrency` images in flight. */
  decodeItemsPerSecond: number;
  decodeConcurrency: number;
  decodeCpuMsPerItem: number | null;
  /** `modelCpuMsPerItem` + `decodeCpuMsPerItem`; null off Linux. */
  cpuMsPerItem: number | null;
  cores: number;
  candidates: LimitCandidate[];
  together: TogetherCandidate[];
  decodeWindows: number[];
  backgroundCores: number | null;
}

/**
 * Time per item outside the model in the real pipeline: the best queued run's wall time per
 * item less the model's own time per item at its best setting. Decoding on every core,
 * reading, storing and the queue all count; what they cost in CPU is in `stages`.
 */
export interface OverheadResult {
  /** 1000 / the best queued items/s. */
  wallMsPerItem: number;
  /** 1000 / `limit.modelItemsPerSecond`. */
  modelMsPerItem: number;
  /** `wallMsPerItem` - `modelMsPerItem`. */
  ms: number;
  /** The worker count of that run. */
  workers: number;
}

export interface Ratios {
  /** Best queued items/s over sync items/s. */
  queuedVsSync: number;
  /** Each worker count's items/s over one worker's. */
  workersVsOne: { workers: number; ratio: number }[];
  /** Best queued items/s over the model alone, and over decoding alone. */
  efficiencyVsModel: number;
  efficiencyVsDecode: number;
  /**
   * Limit CPU per item over the workers' CPU per item at the best worker count: efficiency
   * that other processes on the machine disturb far less than wall-clock rates.
   */
  cpuEfficiency: number | null;
}

export interface TargetResult {
  id: string;
  /** The target as the issue states it. */
  target: string;
  /** The model the target is stated for; the run may use another. */
  statedFor: string;
  measured: string;
  /** null when this run cannot tell (e.g. a single worker count was run). */
  met: boolean | null;
}

export interface CleanupResult {
  /** Redis keys of the bench queue left after cleanup (`bq:<queue>:*`, `idx:<queue>:*`). */
  queueKeysLeft: number;
  collectionRemoved: boolean;
  tempFilesRemoved: boolean;
  queue: string;
  collection: string;
}
