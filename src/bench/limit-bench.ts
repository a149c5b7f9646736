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
  /** The batch size the workers use; the two together are also tried at it. */
  pipelineBatchSize: number;
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

type Timed = Measured & { windows: number[] };

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
 * The parts alone are measured once ({@link measureAlone}); the two together once per round
 * of queued runs ({@link measureTogether}), so that the limit and the runs it is compared
 * with see the same drift of a shared machine. Also reported, the CPU bound: cores /
 * (model CPU per item + decode CPU per item), each at its most CPU-efficient setting alone,
 * i.e. what the parts' own cost allows with every core busy. It is not a ceiling: decoding
 * in batches beside the model can cost less CPU per image than alone (with the tiny model
 * the together runs passed it).
 */
export class LimitBench {
  private buffers: Buffer[] = [];
  private spec?: PreprocessSpec;
  private readonly candidates: (LimitCandidate & Measured)[] = [];
  private decode?: Timed;
  private readonly together = new Map<string, { arrangement: Arrangement; runs: Timed[] }>();

  constructor(private readonly opts: LimitBenchOptions) {}

  /** The model alone at every setting, then decoding alone. Loads the model first. */
  async measureAlone(): Promise<void> {
    const { opts } = this;
    this.buffers = await Promise.all(opts.files.map((file) => fs.readFile(file)));

    for (const threads of opts.threadCandidates) {
      const embedder = await loadEmbedder({
        model: opts.model,
        dtype: opts.dtype,
        threads,
        allowDownload: opts.allowDownload,
        cacheDir: opts.cacheDir,
      });

      try {
        this.spec ??= embedder.preprocess;
        const most = Math.max(...opts.batchSizes);
        const tensors = await preprocessSome(this.buffers, this.spec, most);
        for (const batchSize of opts.batchSizes) {
          opts.onStep?.(`model alone: ${threads} thread(s), batch ${batchSize}`);
          const timed = await timeModel(embedder, tensors, batchSize, opts);
          this.candidates.push({ threads, batchSize, ...timed });
        }
      } finally {
        await embedder.close();
      }
    }

    opts.onStep?.(`decode alone: ${opts.decodeConcurrency} images in flight`);
    this.decode = await timeDecode(this.buffers, this.spec!, opts);
  }

  /** One round of the model and decoding together, in every arrangement. */
  async measureTogether(): Promise<void> {
    for (const arrangement of arrangements(this.opts, this.candidates)) {
      const { lanes, threads, batchSize } = arrangement;
      this.opts.onStep?.(`together: ${lanes} model(s) x ${threads} thread(s), batch ${batchSize}`);
      const key = `${lanes}x${threads}x${batchSize}`;
      const entry = this.together.get(key) ?? { arrangement, runs: [] };
      entry.runs.push(await timeTogether(this.buffers, this.spec!, arrangement, this.opts));
      this.together.set(key, entry);
    }
  }

  /** The limit from everything measured; every window of every round counts. */
  result(): LimitResult {
    const { opts, candidates } = this;
    const decode = this.decode!;
    const together = [...this.together.values()].map(({ arrangement, runs }) => {
      const windows = runs.flatMap((run) => run.windows);
      return {
        ...arrangement,
        itemsPerSecond: percentile(windows, 50),
        cpuMsPerItem: medianOrNull(runs.map((run) => run.cpuMsPerItem)),
        windows,
        backgroundCores: medianOrNull(runs.map((run) => run.backgroundCores)),
      };
    });

    const best = candidates.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    const bestTogether = Math.max(0, ...together.map((candidate) => candidate.itemsPerSecond));
    const modelCpuMsPerItem = lowest(candidates.map((candidate) => candidate.cpuMsPerItem));
    const cpuMsPerItem =
      modelCpuMsPerItem === null || decode.cpuMsPerItem === null
        ? null
        : modelCpuMsPerItem + decode.cpuMsPerItem;
    const byTime = 1 / (1 / best.itemsPerSecond + 1 / decode.itemsPerSecond);
    const byCpu = cpuMsPerItem === null ? null : (1000 * opts.cores) / cpuMsPerItem;

    return {
      itemsPerSecond: Math.max(bestTogether, byTime),
      basis: bestTogether >= byTime ? 'together' : 'time',
      togetherItemsPerSecond: bestTogether,
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
}

type Arrangement = Omit<TogetherCandidate, 'itemsPerSecond' | 'cpuMsPerItem' | 'windows'>;

/**
 * How models and cores can be arranged: one model per core with one thread each, and one
 * model with every core (or, with --threads, as many models as fit). Each is tried at the
 * batch size that was best for the model alone at its thread count and at the workers'
 * batch size: for a model as cheap as the tiny one the best batch alone is 1, which leaves
 * too few images decoding at once when the two run together.
 */
function arrangements(opts: LimitBenchOptions, candidates: LimitCandidate[]): Arrangement[] {
  const threadCounts = new Set(
    opts.threadCandidates.length === 1 ? opts.threadCandidates : [1, opts.cores],
  );

  return [...threadCounts].flatMap((threads) => {
    const atThreads = candidates.filter((candidate) => candidate.threads === threads);
    const pool = atThreads.length > 0 ? atThreads : candidates;
    const best = pool.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    const lanes = Math.max(1, Math.floor(opts.cores / threads));
    const batchSizes = new Set([best.batchSize, opts.pipelineBatchSize]);

    return [...batchSizes].map((batchSize) => ({ lanes, threads, batchSize }));
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
): Promise<Timed> {
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
      // Every batch decoded inside the window is also embedded and counted.
      const lane = async (embedder: Embedder) => {
        let upcoming: Promise<Float32Array[]> | undefined = decodeBatch();
        while (upcoming) {
          const batch = await upcoming;
          upcoming = performance.now() < until ? decodeBatch() : undefined;
          await embedder.embedImages(batch);
          items += batch.length;
        }
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
): Promise<Timed> {
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
): Promise<Timed> {
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
): Promise<Timed> {
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
