/**
 * Helpers for the `idx diagnose` tests: run it as a user would (the built CLI in a child
 * process), time it, parse its JSON, and find a check or a finding in the report.
 */
import { Redis } from 'ioredis';

import type { CheckName, CheckResult, DiagnoseReport, Finding } from '../../src/diagnose/types.js';
import { PRODUCTS, TINY_CLIP, runIdx, startIdx, waitFor } from '../support/cli.js';

export interface DiagnoseRun {
  code: number | null;
  report: DiagnoseReport;
  /** Wall time of the whole process, start to exit, ms. */
  wallMs: number;
  stdout: string;
  stderr: string;
}

export const MODEL = ['--model', TINY_CLIP];
export const HATS = `${PRODUCTS}/hat`;

export async function diagnose(
  args: string[],
  env: Record<string, string> = {},
): Promise<DiagnoseRun> {
  const started = Date.now();
  const result = await runIdx(['diagnose', ...MODEL, ...args, '--json'], env);
  const wallMs = Date.now() - started;
  let report: DiagnoseReport;
  try {
    report = JSON.parse(result.stdout) as DiagnoseReport;
  } catch {
    throw new Error(
      `idx diagnose printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { code: result.code, report, wallMs, stdout: result.stdout, stderr: result.stderr };
}

export function check(report: DiagnoseReport, name: CheckName): CheckResult {
  const found = report.checks.find((c) => c.name === name);
  if (!found) {
    throw new Error(`no ${name} check in the report`);
  }
  return found;
}

/** The finding of a check whose symptom matches, or a readable failure. */
export function finding(report: DiagnoseReport, name: CheckName, symptom: RegExp): Finding {
  const found = check(report, name).findings.find((f) => symptom.test(f.symptom));
  if (!found) {
    const seen = check(report, name).findings.map((f) => f.symptom);
    throw new Error(`no ${name} finding matching ${symptom}; found: ${JSON.stringify(seen)}`);
  }
  return found;
}

/** Starts `idx work` and resolves once its heartbeat says it is running. */
export async function startWorker(
  redisUrl: string,
  args: string[],
  id = 'w1',
  env: Record<string, string> = {},
) {
  const worker = startIdx(
    ['work', '--worker-id', id, '--redis-url', redisUrl, ...MODEL, ...args],
    env,
  );
  const client = new Redis(redisUrl);
  const queue = args[args.indexOf('--queue') + 1];
  try {
    await waitFor(
      async () => {
        const beat = await client.hget(`idx:${queue}:workers`, id);
        return beat !== null && (JSON.parse(beat) as { state: string }).state === 'running';
      },
      20_000,
      `worker ${id} to run`,
    );
  } finally {
    client.disconnect();
  }
  return worker;
}

/** Every key of a queue in Redis, for "diagnose left no trace" assertions. */
export async function queueState(redisUrl: string, queue: string) {
  const client = new Redis(redisUrl);
  try {
    const [stats, waiting, active, probeKeys, jobs, completions] = await Promise.all([
      client.hgetall(`idx:${queue}:stats`),
      client.llen(`bq:${queue}:waiting`),
      client.llen(`bq:${queue}:active`),
      client.keys(`idx:${queue}:job:probe-*`),
      client.hkeys(`bq:${queue}:jobs`),
      client.zrange(`idx:${queue}:completions`, 0, -1),
    ]);
    return {
      stats,
      waiting,
      active,
      probeKeys,
      probeJobs: jobs.filter((id) => id.startsWith('probe-')),
      probeCompletions: completions.filter((entry) => entry.includes(':probe-')),
    };
  } finally {
    client.disconnect();
  }
}
