import { round } from '../util/stats.js';
import type { DiagnoseSession } from './session.js';
import type {
  CheckName,
  CheckResult,
  ChecklistItem,
  Performance,
  Problem,
  ProbeResult,
  Verdict,
} from './types.js';

/** Fixes are listed root causes first: nothing works without Redis or the store. */
const FIX_ORDER: CheckName[] = ['redis', 'store', 'model', 'workers', 'probe'];

/**
 * working: every check passed (warnings allowed) and the probe went through the queue
 * and a worker into the store and was found. partially working: the probe was indexed
 * and found, but some check failed (Redis down and the synchronous fallback did the work,
 * say). broken: the probe image did not end up findable, so images are not being indexed.
 */
export function decideVerdict(
  checks: CheckResult[],
  probe: ProbeResult,
): { verdict: Verdict; reason: string } {
  const failed = checks.filter((check) => check.status === 'fail');
  const warned = checks.filter((check) => check.status === 'warn');

  if (!(probe.completed && probe.findable)) {
    const why = (
      probe.reason ?? (probe.finalState ? `it ended "${probe.finalState}"` : 'it did not run')
    ).replace(/\.$/, '');
    return {
      verdict: 'broken',
      reason: `Images are not being indexed: the probe image did not end up findable (${why}).`,
    };
  }
  if (failed.length > 0) {
    const names = failed.map((check) => check.title).join(', ');
    return {
      verdict: 'partially working',
      reason:
        probe.mode === 'sync'
          ? `Images are indexed, but only by the synchronous fallback inside \`idx enqueue\`: Redis is unavailable, so there is no queue and no workers. Failed: ${names}.`
          : `The probe was indexed and found, but some checks failed: ${names}.`,
    };
  }
  const warnings =
    warned.length > 0
      ? ` ${warned.length} check(s) warn: ${warned.map((c) => c.title).join(', ')}.`
      : '';
  return {
    verdict: 'working',
    reason: `The probe went through the queue and a worker into the store and ranks first when searched.${warnings}`,
  };
}

export function collectProblems(checks: CheckResult[]): Problem[] {
  const problems: Problem[] = [];
  for (const status of ['fail', 'warn'] as const) {
    for (const name of FIX_ORDER) {
      const check = checks.find((c) => c.name === name);
      for (const finding of check?.findings ?? []) {
        if (finding.status === status) {
          problems.push({ check: name, ...finding });
        }
      }
    }
  }
  return problems;
}

/** The problems as steps to take, root causes first; the same command is suggested once. */
export function nextSteps(problems: Problem[]): string[] {
  if (problems.length === 0) {
    return [
      'Nothing to fix. Index images with `idx enqueue <folder>` and follow them with `idx status`.',
    ];
  }
  const seen = new Set<string>();
  const steps: string[] = [];
  for (const problem of problems) {
    const commands = problem.fix.filter((line) => !line.startsWith('#')).slice(0, 2);
    const key = commands[0] ?? problem.symptom;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const run =
      commands.length > 0 ? ` Run: ${commands.map((c) => `\`${c}\``).join(', then ')}` : '';
    steps.push(`${problem.status === 'fail' ? 'Fix' : 'Consider'}: ${problem.symptom}${run}`);
  }
  return steps;
}

export function checklist(
  checks: CheckResult[],
  probe: ProbeResult,
  session: DiagnoseSession,
): ChecklistItem[] {
  const figures = (name: CheckName) => checks.find((c) => c.name === name)?.figures ?? {};
  const status = (name: CheckName) => checks.find((c) => c.name === name)?.status;
  const redis = figures('redis');
  const workers = figures('workers');
  const store = figures('store');

  const redisUp = redis.reachable === true;
  const storeUp = store.reachable === true;
  const known = (up: boolean, ok: boolean) => (up ? ok : null);
  return [
    { item: 'Redis reachable', ok: redisUp },
    {
      item: 'Redis persists queued jobs (AOF or RDB on)',
      ok: known(redisUp, redis.aof === 'on' || String(redis.rdb ?? '').startsWith('on')),
    },
    { item: 'At least one live worker', ok: known(redisUp, session.liveWorkers > 0) },
    {
      item: 'No jobs stuck active',
      ok: known(redisUp && 'stuckActive' in workers, workers.stuckActive === 0),
    },
    { item: 'Store reachable', ok: storeUp },
    {
      item: 'Collection fits the model (or will be created)',
      ok: known(storeUp, status('store') !== 'fail'),
    },
    { item: 'Model loads and embeds an image', ok: status('model') === 'ok' },
    { item: 'Probe queued in Redis', ok: probe.statusAfterEnqueue === 'queued' },
    { item: 'Probe indexed', ok: probe.completed },
    { item: 'Probe findable (ranks first for its own image)', ok: probe.findable },
    {
      item: 'Probe removed again',
      ok: probe.mode === 'skipped' ? null : probe.cleanup.leftBehind.length === 0,
    },
  ];
}

export function performanceFigures(
  checks: CheckResult[],
  probe: ProbeResult,
  session: DiagnoseSession,
  queueRatePerMinute: number | null,
): Performance {
  const model = checks.find((c) => c.name === 'model')?.figures ?? {};
  const stepMs = (name: string) => probe.steps.find((step) => step.step === name)?.ms ?? null;
  const live = session.workers.filter((w) => w.live);
  const reporting = live.filter((w) => w.msPerImage > 0);

  const measuredHere = typeof model.perImageMs === 'number' ? model.perImageMs : null;
  const syncMs = session.syncItemMs ?? measuredHere;
  const enqueueMs = stepMs('enqueue');
  const waitMs = stepMs('wait for the outcome');

  return {
    enqueueMs,
    syncMsPerItem: syncMs,
    syncItemsPerSecond: syncMs ? round(1000 / syncMs, 1) : null,
    syncMeasuredBy:
      session.syncItemMs !== undefined
        ? 'the probe through the synchronous fallback (read, decode, embed, store)'
        : measuredHere !== null
          ? 'the model check on this machine (decode and embed, without the store write)'
          : null,
    workerMsPerItem:
      reporting.length > 0
        ? round(reporting.reduce((s, w) => s + w.msPerImage, 0) / reporting.length, 1)
        : null,
    workerProbeMs:
      probe.mode === 'queue' && probe.completed && enqueueMs !== null && waitMs !== null
        ? round(enqueueMs + waitMs)
        : null,
    queueRatePerMinute,
    liveWorkers: live.map((w) => ({
      id: w.id,
      state: w.state,
      active: w.active,
      processed: w.processed,
      msPerImage: w.msPerImage,
    })),
  };
}
