import type { Command } from 'commander';

import { resolveConfig } from '../../config/config.js';
import { ConfigError } from '../../core/errors.js';
import { type EnqueueSummary, enqueueImages } from '../../enqueue/enqueue.js';
import { type CliContext, ExitCode } from '../context.js';
import { addModelOptions, addOutputOptions, addRedisOptions, addStoreOptions } from '../options.js';
import { Progress, cliLogger } from '../terminal.js';

const PHASES = { inspect: 'Reading files', queue: 'Queuing', index: 'Indexing' };

export function registerEnqueue(program: Command, context: CliContext): void {
  const command = program
    .command('enqueue')
    .description('queue image files for the workers (folders, files, globs or a manifest)')
    .argument('[paths...]', 'image files, folders (searched recursively) or glob patterns')
    .option('--manifest <file>', 'CSV or JSONL with product_id,name,category,image')
    .option('--no-fallback', 'fail instead of indexing here when Redis is unavailable')
    .option('--recreate', 'drop the collection first and rebuild it (after a model change)')
    .option('--batch-size <n>', 'images per model call in the synchronous fallback (default 8)');
  addRedisOptions(command);
  addStoreOptions(command);
  addModelOptions(command);
  addOutputOptions(command);

  command.action(async (paths: string[], flags) => {
    if (paths.length === 0 && !flags.manifest) {
      throw new ConfigError(
        'Nothing to enqueue: give image paths, folders or globs, or --manifest <file>.',
      );
    }

    const { terminal } = context;
    const logger = cliLogger(terminal, flags.verbose);
    const progress = new Progress(terminal, !flags.json);
    let summary: EnqueueSummary;
    try {
      summary = await enqueueImages({
        input: { paths, manifest: flags.manifest },
        config: resolveConfig(flags),
        fallback: flags.fallback,
        recreate: flags.recreate,
        logger,
        onProgress: (phase, done, total) => progress.update(PHASES[phase], done, total),
      });
    } finally {
      progress.stop();
    }

    terminal.out(flags.json ? JSON.stringify(summary) : describe(summary));
    context.exitCode = summary.failed > 0 ? ExitCode.partial : ExitCode.ok;
  });
}

function describe(summary: EnqueueSummary): string {
  const { queued, indexed, skipped, failed, total, seconds } = summary;
  const into = `collection "${summary.collection}"`;
  const lines = [
    summary.mode === 'queued'
      ? `Queued ${queued} of ${total} images on ${summary.redis} for ${into} in ${seconds} s.`
      : `Indexed ${indexed} of ${total} images synchronously into ${into} in ${seconds} s.`,
    `  queued ${queued}, indexed ${indexed}, skipped ${skipped} (unchanged or duplicate), ` +
      `failed ${failed}`,
  ];

  if (summary.failures.length > 0) {
    lines.push('Failures:');
    for (const failure of summary.failures.slice(0, 50)) {
      lines.push(`  ${failure.image}: ${failure.reason}`);
    }
    if (summary.failures.length > 50) {
      lines.push(`  … and ${summary.failures.length - 50} more (use --json for all)`);
    }
  }
  if (summary.notes.length > 0) {
    lines.push('Indexed in part:');
    lines.push(...summary.notes.map(({ image, note }) => `  ${image}: ${note}`));
  }
  if (summary.mode === 'queued' && summary.queued > 0) {
    lines.push('Next: run `idx work` to index them, and `idx status` to follow progress.');
  }
  return lines.join('\n');
}
