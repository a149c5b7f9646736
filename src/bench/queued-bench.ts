import type { Redis } from 'ioredis';

import type { IdxConfig } from '../config/config.js';
import type { ImageJob } from '../core/types.js';
import { Heartbeats } from '../queue/heartbeats.js';
import { JobQueue } from '../queue/job-queue.js';
import { JobRecords } from '../queue/job-records.js';
import { queueKeys } from '../queue/keys.js';
import { sleep } from '../util/concurrency.js';
import { percentile } from '../util/stats.js';
import type { QueuedResult } from './bench-report.js';
import type { BenchCleanup } from './cleanup.js';
import { startCpuWindow } from './cpu-usage.js';
import { assertAllSaved } from './enqueue-bench.js';
import { type WorkerProcess, startWorker } from './worker-process.js';

/** Workers must be taking jobs within this long of being started (model load included). */
const START_TIMEOUT_MS = 180_000;

/** The run fails when no job has finished for this long. */
const STALL_TIMEOUT_MS = 120_000;

export interface QueuedBenchOptions {
  redis: Redis;
  /** The bench's configuration: its own queue, collection and data folder. */
  config: IdxConfig;
  jobs: ImageJob[];
  workers: number;
  /** Prefix of the worker ids, unique to this bench run. */
  runId: string;
  cleanup: BenchCleanup;
  checkAbort: () => void;
  /** Waits for the machine to be quiet; the idle workers' pids are not counted as load. */
  settle: (pids: number[]) => Promise<void>;
}

/**
 * One queued run: starts `workers` real `idx work` processes, waits until every one is
 * taking jobs (model loaded), queues all jobs at once, and waits for the last outcome. The
 * rate runs from the first job queued to the last one finished; each job's latency from
 * the moment its pipelined slice was sent to its completion time as the worker recorded
 * it. Worker CPU comes from /proc. The workers are stopped before this returns.
 */
export async function benchQueued(opts: QueuedBenchOptions): Promise<QueuedResult> {
  const ids = Array.from(
    { length: opts.workers },
    (_, i) => `${opts.runId}-${opts.workers}w-${i + 1}`,
  );
  const workers = ids.map((id) => startWorker(id, opts.config));
  workers.forEach((worker) => opts.cleanup.track(worker));

  try {
    await waitUntilTaking(workers, opts);
    await opts.settle(workers.map((worker) => worker.pid));

    const cpu = startCpuWindow([...workers.map((worker) => worker.pid), process.pid]);
    const { started, enqueuedAt } = await queueAll(opts);
    const finished = await waitForOutcomes(workers, opts);
    const usage = cpu.stop();

    const completions = await readCompletions(opts.redis, opts.config.queue);
    const lastFinish = Math.max(...completions.values());
    const seconds = (lastFinish - started) / 1000;
    const latencies = [...completions].flatMap(([jobId, at]) => {
      const queuedAt = enqueuedAt.get(jobId);
      return queuedAt === undefined ? [] : [at - queuedAt];
    });

    const exits = await Promise.all(workers.map((worker) => worker.stop()));
    const workerMs = usage.processMs.slice(0, workers.length);
    const allKnown = workerMs.every((ms) => ms !== null);
    const totalCpuMs = allKnown ? (workerMs as number[]).reduce((a, b) => a + b, 0) : null;
    const items = opts.jobs.length;

    return {
      workers: opts.workers,
      items,
      ...finished,
      itemsPerSecond: items / seconds,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
      seconds,
      workerMsPerItem: (opts.workers * seconds * 1000) / items,
      cpuMsPerItem: totalCpuMs === null ? null : totalCpuMs / items,
      cpuPercent: totalCpuMs === null ? null : (100 * totalCpuMs) / usage.wallMs,
      threadsPerWorker: workers.map((worker) => worker.threads()),
      perWorker: workers.map((worker, index) => ({
        id: worker.id,
        indexed: exits[index].indexed ?? 0,
        cpuPercent: workerMs[index] === null ? null : (100 * workerMs[index]!) / usage.wallMs,
      })),
      backgroundCores: usage.backgroundCores,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

/** Waits for each worker's heartbeat to say `running`: model loaded, queue attached. */
async function waitUntilTaking(workers: WorkerProcess[], opts: QueuedBenchOptions): Promise<void> {
  const heartbeats = new Heartbeats(opts.redis, opts.config.queue);
  const deadline = Date.now() + START_TIMEOUT_MS;

  for (;;) {
    opts.checkAbort();
    assertAlive(workers);

    const running = new Set(
      (await heartbeats.list()).filter((beat) => beat.state === 'running').map((beat) => beat.id),
    );
    if (workers.every((worker) => running.has(worker.id))) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `bench workers did not start taking jobs within ${START_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(100);
  }
}

/** Queues every job in one pipelined call; a job counts as queued when its slice is sent. */
async function queueAll(opts: QueuedBenchOptions) {
  const queue = new JobQueue({ redisUrl: opts.config.redisUrl, queue: opts.config.queue });
  await queue.ready();

  try {
    const started = Date.now();
    const sliceStarts = [started];
    const sliceEnds: number[] = [];
    let saved = 0;

    const result = await queue.saveJobs(opts.jobs, (count) => {
      saved += count;
      sliceEnds.push(saved);
      sliceStarts.push(Date.now());
    });
    assertAllSaved(result, opts.jobs.length);

    const enqueuedAt = new Map<string, number>();
    let slice = 0;
    result.ids.forEach((id, index) => {
      while (index >= sliceEnds[slice]) {
        slice++;
      }
      enqueuedAt.set(id, sliceStarts[slice]);
    });

    return { started, enqueuedAt };
  } finally {
    await queue.close();
  }
}

async function waitForOutcomes(workers: WorkerProcess[], opts: QueuedBenchOptions) {
  const records = new JobRecords(opts.redis, opts.config.queue);
  let lastCount = 0;
  let lastProgress = Date.now();

  for (;;) {
    opts.checkAbort();
    assertAlive(workers);

    const counters = await records.counters();
    const count = counters.indexed + counters.skipped + counters.failed;
    if (count >= opts.jobs.length) {
      return { indexed: counters.indexed, skipped: counters.skipped, failed: counters.failed };
    }

    if (count > lastCount) {
      lastCount = count;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > STALL_TIMEOUT_MS) {
      throw new Error(
        `bench workers stalled: ${count} of ${opts.jobs.length} jobs finished and none for ${STALL_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(25);
  }
}

/** Job id to completion time (ms since the epoch), from idx's completions record. */
async function readCompletions(redis: Redis, queue: string): Promise<Map<string, number>> {
  const raw = await redis.zrange(queueKeys(queue).completions, 0, -1, 'WITHSCORES');
  const completions = new Map<string, number>();

  for (let index = 0; index < raw.length; index += 2) {
    const member = raw[index];
    completions.set(member.slice(member.indexOf(':') + 1), Number(raw[index + 1]));
  }
  return completions;
}

function assertAlive(workers: WorkerProcess[]): void {
  const dead = workers.find((worker) => worker.hasExited());
  if (dead) {
    throw new Error(
      `bench worker ${dead.id} exited early: ${dead.stderrTail().split('\n').slice(-3).join(' | ') || 'no output'}`,
    );
  }
}
