import type {
  BenchReport,
  EnqueueResult,
  LimitResult,
  OverheadResult,
  QueuedResult,
  StageResult,
  TargetResult,
} from './bench-report.js';

/** The targets, each stated for a model and checked against this run's figures. */
export const TARGETS = {
  bulkEnqueueJobsPerSecond: 5000,
  singleEnqueueP50Ms: 2,
  overheadMs: 5,
  efficiency: 0.9,
} as const;

type Measured = {
  enqueue: EnqueueResult;
  stages: StageResult;
  queued: QueuedResult[];
  limit: LimitResult;
  efficiency: number;
  overhead: OverheadResult;
  model: BenchReport['model'];
};

/**
 * Checks every target against this run. A target stated for another model than the one
 * run is still checked, and says which model it is meant for, so the reader can judge.
 */
export function evaluateTargets(run: Measured): TargetResult[] {
  const { enqueue, stages, queued, limit, efficiency, overhead } = run;
  const best = queued.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const one = queued.find((result) => result.workers === 1) ?? queued[0];
  const slower = queued.filter((result) => result.itemsPerSecond < one.itemsPerSecond);

  return [
    {
      id: 'bulk-enqueue',
      target: `bulk enqueue >= ${TARGETS.bulkEnqueueJobsPerSecond} jobs/s`,
      statedFor: 'local Redis',
      measured: `${fixed(enqueue.bulkJobsPerSecond, 0)} jobs/s (median of ${enqueue.bulkRounds.length} rounds of ${enqueue.bulkJobs})`,
      met: enqueue.bulkJobsPerSecond >= TARGETS.bulkEnqueueJobsPerSecond,
    },
    {
      id: 'single-enqueue',
      target: `single enqueue p50 < ${TARGETS.singleEnqueueP50Ms} ms`,
      statedFor: 'local Redis',
      measured: `p50 ${fixed(enqueue.p50Ms, 3)} ms (p95 ${fixed(enqueue.p95Ms, 3)}, p99 ${fixed(enqueue.p99Ms, 3)})`,
      met: enqueue.p50Ms < TARGETS.singleEnqueueP50Ms,
    },
    {
      id: 'overhead',
      target: `per-item overhead outside the model < ${TARGETS.overheadMs} ms`,
      statedFor: 'the tiny model',
      measured: overheadText(overhead, stages),
      met: overhead.ms < TARGETS.overheadMs,
    },
    {
      id: 'efficiency',
      target: `end-to-end items/s >= ${TARGETS.efficiency} x the limit (model + preprocessing), best worker count`,
      statedFor: 'the compute-equivalent q8 model',
      measured: `${fixed(efficiency, 2)} = ${fixed(best.itemsPerSecond, 1)} items/s with ${best.workers} worker(s) / limit ${fixed(limit.itemsPerSecond, 1)}`,
      met: efficiency >= TARGETS.efficiency,
    },
    {
      id: 'no-oversubscription',
      target: 'N workers on one host never slower in total than 1',
      statedFor:
        run.model.threads === null
          ? 'default settings'
          : `default settings (this run: --threads ${run.model.threads})`,
      measured: queued
        .map((result) => `${result.workers}w ${fixed(result.itemsPerSecond, 1)}/s`)
        .join(', '),
      met: queued.length < 2 ? null : slower.length === 0,
    },
  ];
}

/** The pipeline's time per item outside the model, and beside it the CPU cost of each stage. */
function overheadText(overhead: OverheadResult, stages: StageResult): string {
  const ms = (value: number) => fixed(value, 2);
  const cost = [stages.readMs, stages.decodeMs, stages.upsertMs, stages.queueMs];
  const [read, decode, upsert, queue] = cost.map(ms);

  return (
    `${ms(overhead.ms)} ms = ${ms(overhead.wallMsPerItem)} ms per item with ` +
    `${overhead.workers} worker(s) - ${ms(overhead.modelMsPerItem)} ms for the model alone ` +
    `(CPU cost, one decode at a time: read ${read} + decode ${decode} + upsert ${upsert} + ` +
    `queue ${queue} = ${ms(stages.overheadMs)} ms)`
  );
}

export function fixed(value: number | null, decimals: number): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(decimals);
}
