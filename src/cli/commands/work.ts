import type { Command } from 'commander';

import { resolveConfig } from '../../config/config.js';
import { IndexWorker, type WorkerSummary } from '../../worker/index-worker.js';
import { type CliContext, ExitCode } from '../context.js';
import { addModelOptions, addOutputOptions, addRedisOptions, addStoreOptions } from '../options.js';
import { cliLogger } from '../terminal.js';

export function registerWork(program: Command, context: CliContext): void {
  const command = program
    .command('work')
    .description('run a worker: take queued images, embed them and store the vectors')
    .option('--worker-id <id>', 'name shown in `idx status` (default <host>-<pid>)')
    .option('--concurrency <n>', 'batches in flight, so decoding overlaps the model (default 2)')
    .option('--batch-size <n>', 'images per model call and per store write (default 8)')
    .option('--until-idle', 'exit once nothing is waiting, active or delayed');
  addRedisOptions(command);
  addStoreOptions(command);
  addModelOptions(command);
  addOutputOptions(command);

  command.action(async (flags) => {
    const { terminal } = context;
    const worker = new IndexWorker({
      config: resolveConfig(flags),
      workerId: flags.workerId,
      untilIdle: flags.untilIdle,
      logger: cliLogger(terminal, flags.verbose),
    });

    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      if (signals > 1) {
        terminal.err(`${signal} again: exiting now; unfinished jobs return to the queue.`);
        process.exit(ExitCode.interrupted);
      }
      void worker.stop(`${signal} received`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    try {
      await worker.start();
    } catch (err) {
      await worker.stop('start failed');
      throw err;
    }

    const summary = await worker.done;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    terminal.out(flags.json ? JSON.stringify(summary) : describe(summary));
    context.exitCode = summary.fatal ? ExitCode.redisUnavailable : ExitCode.ok;
  });
}

function describe(summary: WorkerSummary): string {
  const { indexed, skipped, failed, retried } = summary;
  return (
    `${summary.workerId} stopped (${summary.stopReason}) after ${summary.seconds} s: ` +
    `indexed ${indexed}, skipped ${skipped}, failed ${failed}, retried ${retried}.`
  );
}
