import fs from 'node:fs/promises';

import type { Dtype } from '../core/types.js';
import type { Embedder, PreprocessSpec } from '../embed/embedder.js';
import { loadEmbedder } from '../embed/load-embedder.js';
import { loadThreadedEmbedder } from '../embed/threaded-embedder.js';
import { preprocessImage } from '../images/preprocess.js';
import { percentile } from '../util/stats.js';
import type { LimitCandidate, LimitResult, TogetherCandidate } from './bench-report.js';
import { type CpuWindow, startCpuWindow } from './cpu-usage.js';

export interface LimitBenchOptions {
  /** The model folder or hub id, as loadEmbedder takes it. */
  model: string;
  dtype: Dtype;
  allowDownload: boolean;
  cacheDir: string;
  /** ONNX thread counts to try. */
  threadCandidates: number[];
  /** Batch sizes to try at each thread count. */
  batchSizes: number[];
  /** Distinct image files; their bytes are read once and decoded from memory. */
  files: string[];
  /** CPU cores of the machine, for the CPU ceiling. */
  cores: number;
  /** Images decoded at once: enough to keep every core and libuv's pool busy. */
  decodeConcurrency: number;
  /** Length of each timed window, ms; the median window is reported. */
  windowMs: number;
  windows: number;
  checkAbort: () => void;
  /** Waits for the machine to be quiet before each window (see waitForQuiet). */
  settle: () => Promise<void>;
  /** Called before each measurement, for progress lines. */
  onStep?: (step: string) => void;
}

interface Measured {
  itemsPerSecond: number;
  cpuMsPerItem: number | null;
  backgroundCores: number | null;
}

/**
 * This machine's limit for the model plus preprocessing, and its parts:
 *
 * - the model alone on preprocessed tensors in a tight loop, at every thread count and batch
 *   size tried (the best one counts);
 * - decoding alone with many images in flight;
 * - the two together, measured: models on worker threads (one per core with 1 ONNX thread
 *   each, or one with every core), each decoding its next batch from memory while it embeds
 *   the current one. This is the pipeline without queue, store or files, in the best
 *   arrangement found, and it is the limit (or 1 / (1/model + 1/decode), decoding and
 *   embedding one after the other, when that is higher).
 *
 * Also reported, as a bound no arrangement reaches: cores / (model CPU per item + decode
 * CPU per item), each at its most CPU-efficient setting, as if both ran on busy cores
 * without slowing each other.
 */
export async function benchLimit(opts: LimitBenchOptions): Promise<LimitResult> {
  const buffers = await Promise.all(opts.files.map((file) => fs.readFile(file)));
  const candidates: (LimitCandidate & Measured)[] = [];
  let spec: PreprocessSpec | undefined;
  let tensors: Float32Array[] = [];

  for (const threads of opts.threadCandidates) {
    const embedder = await loadEmbedder({
      model: opts.model,
      dtype: opts.dtype,
      threads,
      allowDownload: opts.allowDownload,
      cacheDir: opts.cacheDir,
    });

    try {
      if (!spec) {
        spec = embedder.preprocess;
        tensors = await preprocessSome(buffers, spec, Math.max(...opts.batchSizes));
      }
      for (const batchSize of opts.batchSizes) {
        opts.onStep?.(`model alone: ${threads} thread(s), batch ${batchSize}`);
        candidates.push({
          threads,
          batchSize,
          ...(await timeModel(embedder, tensors, batchSize, opts)),
        });
      }
    } finally {
      await embedder.close();
    }
  }

  opts.onStep?.(`decode alone: ${opts.decodeConcurrency} images in flight`);
  const decode = await timeDecode(buffers, spec!, opts);
  const best = candidates.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const together = [];
  for (const arrangement of arrangements(opts, candidates)) {
    const { lanes, threads, batchSize } = arrangement;
    opts.onStep?.(`together: ${lanes} model(s) x ${threads} thread(s), batch ${batchSize}`);
    together.push({ ...arrangement, ...(await timeTogether(buffers, spec!, arrangement, opts)) });
  }

  const bestTogether = together.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const modelCpuMsPerItem = lowest(candidates.map((candidate) => candidate.cpuMsPerItem));
  const cpuMsPerItem =
    modelCpuMsPerItem === null || decode.cpuMsPerItem === null
      ? null
      : modelCpuMsPerItem + decode.cpuMsPerItem;
  const byTime = 1 / (1 / best.itemsPerSecond + 1 / decode.itemsPerSecond);
  const byCpu = cpuMsPerItem === null ? null : (1000 * opts.cores) / cpuMsPerItem;

  return {
    itemsPerSecond: Math.max(bestTogether.itemsPerSecond, byTime),
    basis: bestTogether.itemsPerSecond >= byTime ? 'together' : 'time',
    togetherItemsPerSecond: bestTogether.itemsPerSecond,
    byTimeItemsPerSecond: byTime,
    byCpuItemsPerSecond: byCpu,
    modelItemsPerSecond: best.itemsPerSecond,
    threads: best.threads,
    batchSize: best.batchSize,
    modelCpuMsPerItem,
    decodeItemsPerSecond: decode.itemsPerSecond,
    decodeConcurrency: opts.decodeConcurrency,
    decodeCpuMsPerItem: decode.cpuMsPerItem,
    cpuMsPerItem,
    cores: opts.cores,
    candidates: candidates.map(({ backgroundCores: _, ...candidate }) => candidate),
    together: together.map(({ backgroundCores: _, ...candidate }) => candidate),
    decodeWindows: decode.windows,
    backgroundCores: medianOrNull(
      [...candidates, decode, ...together].map((m) => m.backgroundCores),
    ),
  };
}

type Arrangement = Omit<TogetherCandidate, 'itemsPerSecond' | 'cpuMsPerItem' | 'windows'>;

/**
 * How models and cores can be arranged: one model per core with one thread each, and one
 * model with every core (or, with --threads, as many models as fit). Each arrangement uses
 * the batch size that was best for the model alone at its thread count.
 */
function arrangements(opts: LimitBenchOptions, candidates: LimitCandidate[]): Arrangement[] {
  const threadCounts = new Set(
    opts.threadCandidates.length === 1 ? opts.threadCandidates : [1, opts.cores],
  );

  return [...threadCounts].map((threads) => {
    const atThreads = candidates.filter((candidate) => candidate.threads === threads);
    const pool = atThreads.length > 0 ? atThreads : candidates;
    const best = pool.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    return {
      lanes: Math.max(1, Math.floor(opts.cores / threads)),
      threads,
      batchSize: best.batchSize,
    };
  });
}

/**
 * The model and decoding together: `lanes` models, each on its own thread, each decoding
 * its next batch (from memory, on libuv's pool) while it embeds the current one.
 */
async function timeTogether(
  buffers: Buffer[],
  spec: PreprocessSpec,
  arrangement: Arrangement,
  opts: LimitBenchOptions,
): Promise<Measured & { windows: number[] }> {
  const embedders: Embedder[] = [];
  let next = 0;
  const decodeBatch = () =>
    Promise.all(
      Array.from({ length: arrangement.batchSize }, async () => {
        const bytes = Buffer.from(buffers[next++ % buffers.length]);
        return (await preprocessImage(bytes, spec)).pixels;
      }),
    );

  try {
    while (embedders.length < arrangement.lanes) {
      const embedder = await loadThreadedEmbedder({
        model: opts.model,
        dtype: opts.dtype,
        threads: arrangement.threads,
        allowDownload: opts.allowDownload,
        cacheDir: opts.cacheDir,
      });
      embedders.push(embedder);
      await embedder.embedImages(await decodeBatch());
    }

    return await timeWindows(opts, async (until) => {
      let items = 0;
      const lane = async (embedder: Embedder) => {
        let upcoming = decodeBatch();
        while (performance.now() < until) {
          const batch = await upcoming;
          upcoming = decodeBatch();
          await embedder.embedImages(batch);
          items += batch.length;
        }
        await upcoming;
      };
      await Promise.all(embedders.map(lane));
      return items;
    });
  } finally {
    await Promise.all(embedders.map((embedder) => embedder.close()));
  }
}

async function preprocessSome(buffers: Buffer[], spec: PreprocessSpec, count: number) {
  const tensors: Float32Array[] = [];
  for (let index = 0; index < count; index++) {
    const result = await preprocessImage(buffers[index % buffers.length], spec);
    tensors.push(result.pixels);
  }
  return tensors;
}

/** Embeds the same tensors batch after batch; each window runs at least two calls. */
async function timeModel(
  embedder: Embedder,
  tensors: Float32Array[],
  batchSize: number,
  opts: LimitBenchOptions,
): Promise<Measured & { windows: number[] }> {
  const batch = tensors.slice(0, batchSize);
  await embedder.embedImages(batch);

  return timeWindows(opts, async (until) => {
    let items = 0;
    for (let calls = 0; calls < 2 || performance.now() < until; calls++) {
      await embedder.embedImages(batch);
      items += batch.length;
    }
    return items;
  });
}

/**
 * Decodes and resizes the images over and over with `decodeConcurrency` in flight. Each
 * call gets a fresh copy of the bytes, as a worker reading the file would, so that no
 * decoder cache can serve a repeat.
 */
async function timeDecode(
  buffers: Buffer[],
  spec: PreprocessSpec,
  opts: LimitBenchOptions,
): Promise<Measured & { windows: number[] }> {
  let next = 0;

  return timeWindows(opts, async (until) => {
    let items = 0;
    const lane = async () => {
      while (performance.now() < until) {
        const bytes = Buffer.from(buffers[next++ % buffers.length]);
        await preprocessImage(bytes, spec);
        items++;
      }
    };
    await Promise.all(Array.from({ length: opts.decodeConcurrency }, lane));
    return items;
  });
}

/** Runs `work` in `opts.windows` timed windows and keeps the median rate. */
async function timeWindows(
  opts: LimitBenchOptions,
  work: (until: number) => Promise<number>,
): Promise<Measured & { windows: number[] }> {
  const rates: number[] = [];
  const cpuPerItem: (number | null)[] = [];
  const background: (number | null)[] = [];

  for (let window = 0; window < opts.windows; window++) {
    opts.checkAbort();
    await opts.settle();
    const cpu = startCpuWindow([process.pid]);
    const started = performance.now();
    const items = await work(started + opts.windowMs);
    const usage: CpuWindow = cpu.stop();

    rates.push((1000 * items) / usage.wallMs);
    cpuPerItem.push(usage.ownCores === null ? null : (usage.ownCores * usage.wallMs) / items);
    background.push(usage.backgroundCores);
  }

  return {
    itemsPerSecond: percentile(rates, 50),
    cpuMsPerItem: medianOrNull(cpuPerItem),
    backgroundCores: medianOrNull(background),
    windows: rates,
  };
}

function lowest(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === values.length && known.length > 0 ? Math.min(...known) : null;
}

function medianOrNull(values: (number | null)[]): number | null {
  return values.some((value) => value === null) ? null : percentile(values as number[], 50);
}
