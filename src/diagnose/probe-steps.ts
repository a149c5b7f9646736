import { CollectionGuard } from '../pipeline/collection-guard.js';
import { indexSynchronously } from '../pipeline/sync-indexer.js';
import { withTimeout } from '../util/concurrency.js';
import { round } from '../util/stats.js';
import { type Deadline, since } from './budget.js';
import type { ProbeJob } from './probe-job.js';
import type { DiagnoseSession } from './session.js';
import type { FigureValue, ProbeResult } from './types.js';

// The probe's other steps: the synchronous fallback, finding the point again, and the
// figures that describe it. The queued path and the overall flow are in probe.ts.

/** Indexes the probe in this process, as `idx enqueue` does when Redis is unavailable. */
export async function viaSync(
  session: DiagnoseSession,
  job: ProbeJob,
  probe: ProbeResult,
  deadline: Deadline,
  afterWaitMs: number,
): Promise<void> {
  const store = session.store!;
  const started = performance.now();
  const { outcomes, timings } = await withTimeout(
    indexSynchronously(
      [job.job],
      { embedders: session.embedders, store, collections: new CollectionGuard(store) },
      { batchSize: 1, attempts: 1 },
    ),
    Math.max(100, deadline.budget(Infinity) - afterWaitMs),
    () => new Error('the synchronous fallback did not finish within the timeout'),
  );
  const ms = since(started);
  probe.steps.push({ step: 'index synchronously', ms });
  session.syncItemMs = round(timings.read + timings.decode + timings.embed + timings.upsert);

  const [outcome] = outcomes;
  probe.statusAfterEnqueue = outcome.status;
  probe.finalState = outcome.status;
  probe.completed = outcome.status === 'indexed';
  if (outcome.status !== 'indexed') {
    probe.reason = outcome.reason;
  }
}

/** Fetches the point back and searches with the probe's own embedding: does it rank first? */
export async function findBack(
  session: DiagnoseSession,
  job: ProbeJob,
  probe: ProbeResult,
  figures: Record<string, FigureValue>,
  deadline: Deadline,
): Promise<void> {
  const store = session.store!;
  const collection = job.job.collection;
  const bounded = <T>(work: Promise<T>) =>
    withTimeout(
      work,
      Math.max(100, deadline.budget(5000)),
      () => new Error('the store stopped answering during the probe'),
    );

  let started = performance.now();
  const [point] = await bounded(store.getPoints(collection, [job.pointId]));
  probe.steps.push({ step: 'fetch the point', ms: since(started) });
  if (!point) {
    probe.reason = `the worker reported "indexed", but point ${job.pointId} is not in ${store.location}`;
    return;
  }
  figures.storedSha256Matches = point.payload.sha256 === job.job.sha256;

  started = performance.now();
  const hits = await bounded(
    store.search(collection, session.probeEmbedding ?? point.vector, { limit: 10 }),
  );
  probe.steps.push({ step: 'search', ms: since(started) });

  const mine = hits.find((hit) => hit.id === job.pointId);
  if (!mine) {
    probe.reason =
      'searching with its own embedding does not return the probe among the top 10 hits';
    return;
  }
  probe.score = round(mine.score, 4);
  probe.rank = 1 + hits.filter((hit) => hit.score > mine.score + 1e-6).length;
  probe.findable = probe.rank === 1;
  const ties = hits.filter(
    (hit) => hit.id !== job.pointId && Math.abs(hit.score - mine.score) <= 1e-6,
  );
  if (ties.length > 0) {
    figures.tiedWith = ties
      .map((hit) => `${hit.payload.productId} (${hit.payload.imagePath})`)
      .join(', ');
  }
  if (!probe.findable) {
    probe.reason = `searching with its own embedding ranks the probe #${probe.rank} (score ${probe.score})`;
  }
}

/** The probe's figures in reading order: what happened, then timings, then clean-up. */
export function probeFigures(
  probe: ProbeResult,
  extra: Record<string, FigureValue>,
): Record<string, FigureValue> {
  const mode = {
    queue: 'queued job for a worker',
    sync: 'synchronous fallback (no Redis)',
    skipped: 'skipped',
  }[probe.mode];
  const figures: Record<string, FigureValue> = {
    mode,
    image: extra.image ?? probe.image,
    jobId: probe.jobId,
    pointId: extra.pointId ?? null,
  };
  if (probe.mode === 'skipped') {
    return figures;
  }
  figures.statusAfterEnqueue = probe.statusAfterEnqueue;
  if ('stateRightAfter' in extra) {
    figures.stateRightAfter = extra.stateRightAfter;
  }
  Object.assign(figures, {
    finalState: probe.finalState,
    completed: probe.completed,
    findable: probe.findable,
    rank: probe.rank,
    score: probe.score,
  });
  for (const key of ['tiedWith', 'storedSha256Matches']) {
    if (key in extra) {
      figures[key] = extra[key];
    }
  }
  for (const step of probe.steps) {
    figures[`${step.step} (ms)`] = step.ms;
  }
  figures.seconds = probe.seconds;
  figures.removed = probe.cleanup.removed.join('; ') || 'nothing';
  if (probe.cleanup.leftBehind.length > 0) {
    figures.leftBehind = probe.cleanup.leftBehind.join('; ');
  }
  if ('note' in extra) {
    figures.note = extra.note;
  }
  return figures;
}
