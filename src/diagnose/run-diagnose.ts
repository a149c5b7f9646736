import { modelReference } from '../config/model-reference.js';
import { JobRecords } from '../queue/job-records.js';
import { withTimeout } from '../util/concurrency.js';
import { maskUrl } from '../util/mask.js';
import { round } from '../util/stats.js';
import { Deadline, runCheck } from './budget.js';
import { modelCheck } from './checks/model-check.js';
import { redisCheck } from './checks/redis-check.js';
import { storeCheck } from './checks/store-check.js';
import { workersCheck } from './checks/workers-check.js';
import { runProbe } from './probe.js';
import { DiagnoseSession } from './session.js';
import type { DiagnoseSettings } from './settings.js';
import type { CheckName, CheckResult, DiagnoseReport } from './types.js';
import {
  checklist,
  collectProblems,
  decideVerdict,
  nextSteps,
  performanceFigures,
} from './verdict.js';

/**
 * The order checks appear in the report. They run model before store, because the store
 * check needs the model's dimension.
 */
const REPORT_ORDER: CheckName[] = ['redis', 'workers', 'store', 'model', 'probe'];

export interface DiagnoseHooks {
  /** Called as each step starts, for a spinner. */
  onStep?: (label: string) => void;
  /** Receives the run's deadline, so a signal handler can end the run early. */
  onDeadline?: (deadline: Deadline) => void;
}

/**
 * Runs every check and the probe within `settings.timeoutMs`, then closes everything it
 * opened. Never throws for a broken setup: every fault ends up in the report.
 */
export async function runDiagnose(
  settings: DiagnoseSettings,
  hooks: DiagnoseHooks = {},
): Promise<DiagnoseReport> {
  const startedAt = new Date();
  const session = new DiagnoseSession(settings);
  const seconds = Math.round(settings.timeoutMs / 1000);
  const deadline = new Deadline(
    settings.timeoutMs,
    session.commands.diagnose(['--timeout', String(Math.max(60, seconds * 2))]),
  );
  hooks.onDeadline?.(deadline);
  const step = (label: string) => hooks.onStep?.(label);
  const checks: CheckResult[] = [];

  try {
    step('Checking Redis');
    checks.push(await runCheck(deadline, redisCheck(session)));
    step('Reading worker heartbeats');
    checks.push(await runCheck(deadline, workersCheck(session)));
    step('Loading the model');
    checks.push(
      await runCheck(
        deadline,
        modelCheck(session, Math.max(5000, Math.round(settings.timeoutMs / 2))),
      ),
    );
    step('Checking the store');
    checks.push(await runCheck(deadline, storeCheck(session)));
    step('Pushing the probe image through');
    const { probe, check } = await runProbe(session, deadline);
    checks.push(check);
    const rate = await queueRate(session, deadline);

    checks.sort((a, b) => REPORT_ORDER.indexOf(a.name) - REPORT_ORDER.indexOf(b.name));
    const { verdict, reason } = decideVerdict(checks, probe);
    const problems = collectProblems(checks);
    const { config } = settings;
    return {
      verdict,
      verdictReason: reason,
      startedAt: startedAt.toISOString(),
      seconds: 0,
      timeoutSeconds: settings.timeoutMs / 1000,
      settings: {
        redis: maskUrl(config.redisUrl),
        store: config.qdrantUrl ? 'qdrant' : 'sqlite',
        storeLocation: config.qdrantUrl ? maskUrl(config.qdrantUrl) : config.dataDir,
        collection: config.collection,
        queue: config.queue,
        model: modelReference(config.model),
        image: settings.image,
      },
      checks,
      probe,
      performance: performanceFigures(checks, probe, session, rate),
      problems,
      checklist: checklist(checks, probe, session),
      nextSteps: nextSteps(problems),
    };
  } finally {
    await session.close(Math.max(200, Math.min(1500, deadline.remainingMs() - 100)));
  }
}

/** Jobs finished per minute on the queue over the last minute, or null without Redis. */
async function queueRate(session: DiagnoseSession, deadline: Deadline): Promise<number | null> {
  if (!session.redis) {
    return null;
  }
  try {
    const records = new JobRecords(session.redis, session.settings.config.queue);
    const rate = await withTimeout(
      records.recentRate(60_000),
      Math.max(100, deadline.budget(1000)),
      () => new Error('timeout'),
    );
    return round(rate.perSecond * 60, 1);
  } catch {
    return null;
  }
}

/** Stamps the run's wall time on the report (after closing, so it covers everything). */
export function stampDuration(report: DiagnoseReport, startedMs: number): DiagnoseReport {
  report.seconds = round((performance.now() - startedMs) / 1000, 2);
  return report;
}
