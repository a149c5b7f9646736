import type { Redis } from 'ioredis';

import {
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_STALE_MS,
  Heartbeats,
  type WorkerStatus,
} from '../../queue/heartbeats.js';
import { BEE_PREFIX } from '../../queue/keys.js';
import { sleep } from '../../util/concurrency.js';
import { round } from '../../util/stats.js';
import type { CheckSpec } from '../budget.js';
import type { DiagnoseSession } from '../session.js';
import type { Finding } from '../types.js';

/** bee-queue's stall interval unless IDX_STALL_INTERVAL says otherwise, ms. */
const DEFAULT_STALL_MS = 5000;

interface Sample {
  waiting: number;
  active: number;
  workers: WorkerStatus[];
  live: WorkerStatus[];
  /** Active jobs no live worker says it holds. */
  unheld: number;
}

/**
 * Workers, from their heartbeats: who is live, when each was last seen, what it has
 * processed. Fails when jobs wait and nobody is there to take them; warns about silent
 * workers and about active jobs that no live worker holds (their worker died).
 */
export function workersCheck(session: DiagnoseSession): CheckSpec {
  const { config } = session.settings;
  const commands = session.commands;

  return {
    name: 'workers',
    title: 'Workers',
    capMs: 5000,
    onTimeout: (ms) => ({
      status: 'fail',
      symptom: `Reading the worker heartbeats took longer than ${ms} ms.`,
      cause: 'Redis stopped answering during the check',
      fix: [commands.redisCli(['ping']), commands.diagnose()],
    }),
    async run(scope) {
      const { figures } = scope;
      const redis = session.redis;
      if (!redis) {
        figures.live = 0;
        return [
          {
            status: 'fail',
            symptom:
              'No worker can take jobs: Redis is unreachable, so their heartbeats cannot be read either.',
            cause: `workers take jobs from Redis (${session.redisProblem ?? 'see the Redis check'})`,
            fix: ['# fix Redis first (see the Redis check), then start a worker', commands.work()],
          },
        ];
      }

      let sample = await takeSample(redis, config.queue);
      // A worker reports a job it took at its next heartbeat; look again before calling it stuck.
      if (
        sample.unheld > 0 &&
        sample.live.length > 0 &&
        scope.budgetMs > HEARTBEAT_INTERVAL_MS + 1500
      ) {
        await sleep(HEARTBEAT_INTERVAL_MS + 500);
        const again = await takeSample(redis, config.queue);
        sample = { ...again, unheld: Math.min(sample.unheld, again.unheld) };
      }

      const { workers, live } = sample;
      session.workers = workers;
      session.liveWorkers = live.length;
      figures.live = live.length;
      figures.silent = workers.length - live.length;
      figures.activeJobs = sample.active;
      figures.heldByLiveWorkers = live.reduce((sum, w) => sum + w.active, 0);
      figures.stuckActive = sample.unheld;
      figures.workers = workers.map((w) => ({
        worker: w.id,
        host: w.host,
        pid: w.pid,
        state: w.live ? w.state : 'silent',
        lastSeen: `${round(w.ageMs / 1000, 1)} s ago`,
        processed: w.processed,
        failed: w.failed,
        active: w.active,
        msPerImage: w.msPerImage,
      }));

      return findingsFor(sample, config.queue, commands.work());
    },
  };
}

async function takeSample(redis: Redis, queue: string): Promise<Sample> {
  const [waiting, active, workers] = await Promise.all([
    redis.llen(`${BEE_PREFIX}:${queue}:waiting`),
    redis.llen(`${BEE_PREFIX}:${queue}:active`),
    new Heartbeats(redis, queue).list(),
  ]);
  const live = workers.filter((w) => w.live);
  const held = live.reduce((sum, w) => sum + w.active, 0);
  return { waiting, active, workers, live, unheld: Math.max(0, active - held) };
}

function findingsFor(sample: Sample, queue: string, work: string): Finding[] {
  const findings: Finding[] = [];
  const staleSeconds = HEARTBEAT_STALE_MS / 1000;

  if (sample.live.length === 0) {
    findings.push(
      sample.waiting > 0
        ? {
            status: 'fail',
            symptom: `${sample.waiting} job(s) wait in queue "${queue}" and no worker is alive to take them.`,
            cause: `no \`idx work\` process for this Redis and queue has sent a heartbeat in the last ${staleSeconds} s (none started, all stopped, or they use another --redis-url / --queue)`,
            fix: [
              '# start a worker (more, with other ids, on other machines with the same flags)',
              work,
            ],
          }
        : {
            status: 'warn',
            symptom: `No worker is running on queue "${queue}": newly queued images will wait.`,
            cause: `no \`idx work\` process for this Redis and queue has sent a heartbeat in the last ${staleSeconds} s`,
            fix: ['# start a worker', work],
          },
    );
  }

  const silent = sample.workers.filter((w) => !w.live);
  if (silent.length > 0) {
    const list = silent
      .map(
        (w) => `${w.id} (pid ${w.pid} on ${w.host}, last seen ${Math.round(w.ageMs / 1000)} s ago)`,
      )
      .join(', ');
    findings.push({
      status: 'warn',
      symptom: `Worker heartbeat stale: ${list}.`,
      cause:
        'the worker stopped without signing off: killed (SIGKILL, out of memory), crashed, or cut off from Redis',
      fix: [
        `# look at why it died (its log; \`dmesg | grep -i oom\` on ${silent[0].host}), then restart it`,
        work.replace('--worker-id w1', `--worker-id ${silent[0].id}`),
      ],
    });
  }

  if (sample.unheld > 0) {
    const stallSeconds = (Number(process.env.IDX_STALL_INTERVAL) || DEFAULT_STALL_MS) / 1000;
    findings.push({
      status: 'warn',
      symptom: `${sample.unheld} job(s) are stuck active in queue "${queue}": no live worker holds them.`,
      cause: `a worker died while holding them; bee-queue puts them back in the queue only once a live worker's stall check runs (within about 2 × the stall interval, ${stallSeconds} s by default, of a worker starting)`,
      fix:
        sample.live.length > 0
          ? [
              '# a live worker returns them at its next stall check; if they stay, restart the workers',
              work,
            ]
          : [
              '# start a worker: its stall check returns the jobs to the queue, then it indexes them',
              work,
            ],
    });
  }
  return findings;
}
