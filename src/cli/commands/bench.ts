import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Table from 'cli-table3';
import { type Command, Option } from 'commander';

import type { BenchReport } from '../../bench/bench-report.js';
import { COMPUTE_EQUIVALENT } from '../../bench/compute-equivalent.js';
import { reportParts, toMarkdown } from '../../bench/report.js';
import { benchNames, runBench } from '../../bench/run-bench.js';
import { resolveConfig } from '../../config/config.js';
import { ConfigError, ModelError } from '../../core/errors.js';
import { type CliContext, ExitCode } from '../context.js';
import { addOutputOptions, addRedisConnectionOptions } from '../options.js';
import { cliLogger, tableStyle } from '../terminal.js';

export function registerBench(program: Command, context: CliContext): void {
  const command = program
    .command('bench')
    .alias('benchmark')
    .description(
      "measure sync, enqueue, queued workers and the stages against this machine's limit, on your images and model",
    )
    .option('--workers <n>', 'queued runs with 1, 2, ... n worker processes (default: the cores)')
    .option(
      '--images <folder>',
      'images to index (default: the products dataset beside the repository)',
    )
    .option(
      '--count <k>',
      'items per run; the images are repeated or cut to k (default: each image once, repeated up to 1000)',
    )
    .addOption(
      new Option(
        '--model <id-or-folder>',
        `CLIP model: hub id, folder, or "${COMPUTE_EQUIVALENT}" for a generated model with ViT-B/32's cost (env IDX_MODEL)`,
      ),
    )
    .addOption(
      new Option('--dtype <dtype>', 'model weights: fp32 or q8 (env IDX_DTYPE; default fp32)'),
    )
    .addOption(
      new Option(
        '--threads <n>',
        'ONNX threads per process for every part (default: each process chooses from the cores)',
      ),
    )
    .addOption(new Option('--allow-download', 'let idx download a hub model it has not cached'))
    .option('--batch-size <n>', 'images per model call and per store write (default 8)')
    .option('--concurrency <n>', 'batches each worker keeps in flight (default 2)')
    .addOption(
      new Option(
        '--qdrant-url <url>',
        'bench against Qdrant instead of the embedded store (env QDRANT_URL)',
      ),
    )
    .addOption(
      new Option('--qdrant-api-key <key>', 'Qdrant API key (env QDRANT_API_KEY; never printed)'),
    )
    .option(
      '--repeat <r>',
      'run each worker count r times, interleaved, and keep the median run (default 1)',
    )
    .option('--enqueue-jobs <n>', 'jobs per bulk-enqueue round, 3 rounds (default 10000)')
    .option('--enqueue-samples <n>', 'single enqueues timed (default 1000)')
    .option(
      '--window <seconds>',
      'length of each timed window of the limit measurement (default 1.5)',
    )
    .option(
      '--wait-quiet <cores>',
      'before each timed part, wait up to 60 s until other processes use at most this many cores (shared machines)',
    )
    .option(
      '--report <file>',
      'also write the report to this file: Markdown, or JSON if it ends in .json',
    );
  addRedisConnectionOptions(command);
  addOutputOptions(command);

  command.action(async (flags) => {
    const { terminal } = context;
    const config = resolveConfig(flags);
    const logger = cliLogger(terminal, Boolean(flags.verbose));
    const showPhases = !flags.json || Boolean(flags.verbose);

    const abort = new AbortController();
    const names = benchNames();
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      if (signals > 1) {
        terminal.err(
          `${signal} again: exiting now; its workers are killed and its files removed, but the bench queue "${names.queue}" and collection "${names.collection}" may be left behind.`,
        );
        process.exit(ExitCode.interrupted);
      }
      terminal.err(
        `${signal}: stopping the bench and removing its queue, collection and files (again to exit at once)`,
      );
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    // Find a bad --report path or worker count now, not after minutes of measuring.
    const workers = whole(flags.workers, '--workers');
    const most = 4 * os.availableParallelism();
    if (workers !== undefined && workers > most) {
      throw new ConfigError(
        `--workers ${workers} is more than 4 per core on this ${os.availableParallelism()}-core host; use at most ${most}.`,
      );
    }
    if (flags.report) {
      checkWritable(flags.report);
    }
    const count = whole(flags.count, '--count');
    if (count !== undefined && count < 100) {
      logger.warn(
        `--count ${count}: with fewer than 100 items, starting and draining the workers dominate and the rates say little; use it to try the bench, not to measure.`,
      );
    }

    let report: BenchReport;
    try {
      report = await runBench({
        config,
        images: flags.images,
        count,
        workers,
        repeat: whole(flags.repeat, '--repeat'),
        enqueueJobs: whole(flags.enqueueJobs, '--enqueue-jobs'),
        enqueueSamples: whole(flags.enqueueSamples, '--enqueue-samples'),
        windowMs: seconds(flags.window, '--window'),
        quietCores: cores(flags.waitQuiet, '--wait-quiet'),
        logger,
        signal: abort.signal,
        onPhase: (phase) => showPhases && logger.info(`bench: ${phase}`),
      });
    } catch (err) {
      throw withModelHint(err, flags.model);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }

    if (flags.report) {
      writeReport(flags.report, report);
      logger.info(`bench: report written to ${path.resolve(flags.report)}`);
    }

    terminal.out(flags.json ? JSON.stringify(report) : describe(report));
    const { cleanup } = report;
    const clean =
      cleanup.queueKeysLeft === 0 && cleanup.collectionRemoved && cleanup.tempFilesRemoved;
    context.exitCode = clean ? ExitCode.ok : ExitCode.partial;
  });
}

// Creates the folder if needed, but leaves no empty report behind if the run then fails.
function checkWritable(file: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const existed = fs.existsSync(file);
    fs.appendFileSync(file, '');
    if (!existed) {
      fs.rmSync(file);
    }
  } catch (err) {
    throw new ConfigError(`Cannot write --report ${file}: ${(err as Error).message}.`);
  }
}

function writeReport(file: string, report: BenchReport): void {
  const text = file.endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : toMarkdown(report);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

function describe(report: BenchReport): string {
  const parts = reportParts(report);
  const lines = [parts.heading, ...parts.facts, ''];

  for (const table of parts.tables) {
    const rendered = new Table({ head: table.head, style: tableStyle() });
    rendered.push(...table.rows);
    lines.push(table.title, rendered.toString(), '');
  }

  lines.push(...parts.notes);
  return lines.join('\n');
}

/** Without --model, the default hub model is usually missing offline; say what else works. */
function withModelHint(err: unknown, model: string | undefined): unknown {
  if (!(err instanceof ModelError) || model !== undefined) {
    return err;
  }
  return new ModelError(
    `${err.message} To bench a model with CLIP ViT-B/32's cost instead, pass --model ${COMPUTE_EQUIVALENT}.`,
    { cause: err },
  );
}

function whole(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new ConfigError(`${flag} must be a whole number of at least 1, not "${value}".`);
  }
  return number;
}

function cores(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) {
    throw new ConfigError(
      `${flag} must be a number of cores (0 or more, e.g. 0.2), not "${value}".`,
    );
  }
  return number;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new ConfigError(`${flag} must be a positive number of seconds, not "${value}".`);
  }
  return number * 1000;
}
