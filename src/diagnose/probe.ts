import type { Redis } from 'ioredis';

import { errorMessage } from '../core/errors.js';
import { JobQueue } from '../queue/job-queue.js';
import { type JobOutcomeRecord, JobRecords } from '../queue/job-records.js';
import { BEE_PREFIX } from '../queue/keys.js';
import { sleep, withTimeout } from '../util/concurrency.js';
import { round } from '../util/stats.js';
import { type Deadline, checkResult, since } from './budget.js';
import {
  PROBE_PRODUCT,
  type ProbeJob,
  cleanUpProbe,
  closeQueue,
  makeProbeJob,
} from './probe-job.js';
import { probeFindings, skipFinding } from './probe-findings.js';
import { findBack, probeFigures, viaSync } from './probe-steps.js';
import type { DiagnoseSession } from './session.js';
import type { CheckResult, FigureValue, ProbeResult } from './types.js';

const POLL_MS = 25;
/** Without a live worker, how long to watch the probe stay queued before saying so. */
const NO_WORKER_GRACE_MS = 3000;
const FINAL = new Set(['indexed', 'skipped', 'failed']);

export interface ProbeRun {
  probe: ProbeResult;
  check: CheckResult;
}

/**
 * Pushes the probe image through the real path: a queued job for a worker when Redis is
 * up, the synchronous fallback when it is not. Then fetches the point back, searches with
 * the probe's own embedding, times every step, and removes every trace of the probe.
 */
export async function runProbe(session: DiagnoseSession, deadline: Deadline): Promise<ProbeRun> {
  const started = performance.now();
  const { settings } = session;
  const figures: Record<string, FigureValue> = {};
  const probe: ProbeResult = {
    mode: session.redis ? 'queue' : 'sync',
    jobId: null,
    pointId: '',
    image: settings.image,
    statusAfterEnqueue: null,
    finalState: null,
    completed: false,
    findable: false,
    rank: null,
    score: null,
    reason: null,
    seconds: 0,
    steps: [],
    cleanup: { removed: [], leftBehind: [] },
  };
  const finish = (findings = probeFindings(session, probe, figures)) => {
    const ordered = probeFigures(probe, figures);
    return {
      probe,
      check: checkResult(
        'probe',
        'Probe job, end to end',
        ordered,
        findings,
        performance.now() - started,
      ),
    };
  };

  const skipped = skipFinding(session);
  if (skipped) {
    probe.mode = 'skipped';
    probe.reason = skipped.symptom
      .replace(/^The probe was not run: /, 'not run: ')
      .replace(/\.$/, '');
    return finish([skipped]);
  }

  let job: ProbeJob;
  try {
    job = await makeProbeJob(settings.config, settings.image, session.probeBytes);
  } catch (err) {
    probe.mode = 'skipped';
    probe.reason = `the probe image cannot be read: ${errorMessage(err)}`;
    return finish();
  }
  probe.pointId = job.pointId;
  // An earlier probe's point would make this one "unchanged" and skipped; remove it first.
  await session.store!.deletePoints(settings.config.collection, [job.pointId]).catch(() => {});
  figures.image = settings.imageIsBundled ? `${settings.image} (bundled)` : settings.image;
  figures.pointId = job.pointId;

  // Leave time after the wait for fetching, searching and cleaning up.
  const afterWaitMs = Math.min(2000, Math.round(deadline.totalMs * 0.15));
  let queue: JobQueue | undefined;
  try {
    if (session.redis) {
      queue = new JobQueue({ redisUrl: settings.config.redisUrl, queue: settings.config.queue });
      await viaQueue(session, figures, session.redis, queue, job, probe, deadline, afterWaitMs);
    } else {
      await viaSync(session, job, probe, deadline, afterWaitMs);
    }
    if (probe.completed) {
      await findBack(session, job, probe, figures, deadline);
    }
  } catch (err) {
    probe.reason ??= errorMessage(err);
  } finally {
    const cleanupStart = performance.now();
    probe.cleanup = await cleanUpProbe(
      {
        probe: job,
        store: session.store,
        redis: session.redis,
        queueName: settings.config.queue,
        queue,
      },
      Math.max(300, deadline.budget(1000)),
    );
    if (queue) {
      await closeQueue(queue, 500);
    }
    if (probe.finalState === 'active') {
      probe.cleanup.leftBehind.push(
        `a worker still held the probe job when time ran out; when it finishes, a point of product ${PROBE_PRODUCT} and one count may remain`,
      );
    }
    probe.steps.push({ step: 'clean up', ms: since(cleanupStart) });
  }

  probe.seconds = round((performance.now() - started) / 1000, 3);
  return finish();
}

async function viaQueue(
  session: DiagnoseSession,
  seen: Record<string, FigureValue>,
  redis: Redis,
  queue: JobQueue,
  job: ProbeJob,
  probe: ProbeResult,
  deadline: Deadline,
  afterWaitMs: number,
): Promise<void> {
  const { config } = session.settings;
  const bounded = <T>(work: Promise<T>) =>
    withTimeout(
      work,
      Math.max(100, deadline.budget(5000)),
      () => new Error('Redis stopped answering during the probe'),
    );

  await bounded(queue.ready());
  const enqueueStart = performance.now();
  const id = await bounded(queue.saveJob(job.job, { probe: true, id: job.jobId }));
  probe.steps.push({ step: 'enqueue', ms: since(enqueueStart) });
  probe.jobId = id ?? job.jobId;

  // Saved into the waiting list is "queued", as `idx enqueue` reports it; a live worker may
  // have taken it already by the time anyone looks, which is shown beside it.
  const records = new JobRecords(redis, config.queue);
  let state = await bounded(jobState(redis, config.queue, probe.jobId, records));
  probe.statusAfterEnqueue = id === null ? 'not queued (an identical job is waiting)' : 'queued';
  seen.stateRightAfter = state;

  const waitStart = performance.now();
  let record: JobOutcomeRecord | null = null;
  for (;;) {
    record = await bounded(records.outcome(probe.jobId));
    if (record && FINAL.has(record.state)) {
      break;
    }
    if (record?.state === 'retrying') {
      probe.reason = `retrying after: ${record.reason ?? 'an error'}`;
    }
    state = await bounded(jobState(redis, config.queue, probe.jobId, records));
    const waited = performance.now() - waitStart;
    const noWorker =
      session.liveWorkers === 0 && state === 'queued' && waited >= NO_WORKER_GRACE_MS;
    if (noWorker || deadline.budget(Infinity) - afterWaitMs <= POLL_MS) {
      break;
    }
    await sleep(POLL_MS);
  }
  probe.steps.push({ step: 'wait for the outcome', ms: since(waitStart) });

  probe.finalState = record && FINAL.has(record.state) ? record.state : state;
  const waitedSeconds = round((performance.now() - waitStart) / 1000, 1);
  if (state === 'queued' && !probe.finalState.match(/indexed|skipped|failed/)) {
    probe.reason = `it stayed "queued" for ${waitedSeconds} s: ${session.liveWorkers === 0 ? 'no live worker' : 'no worker'} took it`;
  } else if (probe.finalState === 'active') {
    probe.reason = `a worker took it but did not finish within ${waitedSeconds} s`;
  }
  probe.completed = record?.state === 'indexed';
  if (record?.state === 'failed' || record?.state === 'skipped') {
    probe.reason = record.reason ?? record.state;
  }
}

/** queued, active, delayed (waiting for a retry), or the recorded outcome. */
async function jobState(
  redis: Redis,
  queue: string,
  jobId: string,
  records: JobRecords,
): Promise<string> {
  const bee = (name: string) => `${BEE_PREFIX}:${queue}:${name}`;
  const [waiting, active, delayed] = await Promise.all([
    redis.lpos(bee('waiting'), jobId),
    redis.lpos(bee('active'), jobId),
    redis.zscore(bee('delayed'), jobId),
  ]);
  if (waiting !== null) {
    return 'queued';
  }
  if (active !== null) {
    return 'active';
  }
  if (delayed !== null) {
    return 'delayed';
  }
  return (await records.outcome(jobId))?.state ?? 'unknown';
}
