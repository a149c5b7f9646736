import Table from 'cli-table3';
import type { Command } from 'commander';

import { resolveConfig } from '../../config/config.js';
import {
  type JobStatus,
  type QueueCounts,
  type StatusReport,
  collectJobStatus,
  collectStatus,
} from '../../status/status.js';
import { type CliContext, ExitCode } from '../context.js';
import { tableStyle } from '../terminal.js';
import { addOutputOptions, addRedisOptions, addStoreOptions } from '../options.js';

export function registerStatus(program: Command, context: CliContext): void {
  const command = program
    .command('status')
    .description('show queue counts, live workers, outcomes and the points in the store')
    .argument('[job-id]', 'show one job: its state, attempts and outcome');
  addRedisOptions(command);
  addStoreOptions(command);
  addOutputOptions(command);

  command.action(async (jobId: string | undefined, flags) => {
    const config = resolveConfig(flags);
    const { terminal } = context;

    if (jobId) {
      const job = await collectJobStatus(config, jobId);
      terminal.out(flags.json ? JSON.stringify(job) : describeJob(job));
      context.exitCode = job.state === 'unknown' ? ExitCode.partial : ExitCode.ok;
      return;
    }

    const report = await collectStatus(config);
    terminal.out(flags.json ? JSON.stringify(report) : describe(report));
    context.exitCode =
      report.redis.available && !report.store.error ? ExitCode.ok : ExitCode.partial;
  });
}

const COUNT_COLUMNS = [
  'waiting',
  'active',
  'delayed',
  'succeeded',
  'failed',
  'indexed',
  'skipped',
  'retried',
] as const;

function describe(report: StatusReport): string {
  const lines = [
    report.redis.available
      ? `Redis ${report.redis.url}: reachable. Queue "${report.queue}".`
      : `Redis ${report.redis.url}: UNAVAILABLE. ${report.redis.error} Queue figures unknown.`,
  ];

  if (report.counts) {
    lines.push(...describeQueue(report, report.counts));
  }
  lines.push(describeStore(report.store));

  if (report.failures.length > 0) {
    lines.push('Last failures:');
    for (const failure of report.failures) {
      const where = failure.jobId ? `job ${failure.jobId}` : 'refused at enqueue';
      lines.push(`  ${failure.at} ${failure.image}: ${failure.reason} (${where})`);
    }
  }
  return lines.join('\n');
}

function describeQueue({ throughput, workers }: StatusReport, counts: QueueCounts): string[] {
  const table = new Table({ head: [...COUNT_COLUMNS], style: tableStyle() });
  table.push(COUNT_COLUMNS.map((name) => counts[name]));

  const eta =
    throughput.etaSeconds === null
      ? 'unknown (nothing finished in the last minute)'
      : `${throughput.etaSeconds} s`;
  const live = workers.filter((worker) => worker.live).length;
  const silent = workers.length - live;
  const lines = [
    table.toString(),
    `Throughput: ${throughput.perMinute} images/min over the last minute; ETA ${eta}.`,
    `Workers: ${live} live${silent > 0 ? `, ${silent} silent` : ''}.`,
  ];

  if (workers.length > 0) {
    const rows = new Table({
      head: ['worker', 'host', 'state', 'last seen', 'processed', 'failed', 'active', 'ms/image'],
      style: tableStyle(),
    });
    for (const worker of workers) {
      rows.push([
        worker.id,
        worker.host,
        worker.live ? worker.state : 'silent',
        `${(worker.ageMs / 1000).toFixed(1)} s ago`,
        worker.processed,
        worker.failed,
        worker.active,
        worker.msPerImage,
      ]);
    }
    lines.push(rows.toString());
  }
  return lines;
}

function describeStore(store: StatusReport['store']): string {
  if (store.error) {
    return `Store (${store.backend}): UNAVAILABLE (${store.error}).`;
  }
  if (store.exists === false) {
    return `Store (${store.backend}): no embedded store at ${store.location} yet (0 points).`;
  }
  const where = `${store.location}: collection "${store.collection}"`;
  return `Store (${store.backend}) ${where} holds ${store.points} points.`;
}

function describeJob(job: JobStatus): string {
  if (job.state === 'unknown') {
    return `Job ${job.jobId}: not found (never queued, or its record expired after 7 days).`;
  }
  const parts = [`Job ${job.jobId}: ${job.state}`];
  if (job.image) {
    parts.push(`image ${job.image}`);
  }
  if (job.attempts) {
    parts.push(`attempts ${job.attempts}`);
  }
  if (job.worker) {
    parts.push(`by ${job.worker}`);
  }
  if (job.note) {
    parts.push(job.note);
  }
  if (job.reason) {
    parts.push(`reason: ${job.reason}`);
  }
  return parts.join(', ');
}
