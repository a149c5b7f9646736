import fs from 'node:fs';

import type { Command } from 'commander';
import ora from 'ora';

import { renderMarkdown } from '../../diagnose/report-markdown.js';
import { renderTerminal } from '../../diagnose/report-terminal.js';
import { runDiagnose, stampDuration } from '../../diagnose/run-diagnose.js';
import { type DiagnoseFlags, resolveDiagnoseSettings } from '../../diagnose/settings.js';
import { redact } from '../../util/mask.js';
import { type CliContext, ExitCode } from '../context.js';
import { addModelOptions, addOutputOptions, addRedisOptions, addStoreOptions } from '../options.js';

const HELP = `
Checks Redis, the workers, the store and the model, pushes a probe image through the
real path (a queued job for a worker, or the synchronous fallback without Redis), finds
it again, removes it, and reports what works, what is broken, why, and what to run.

Verdict: "working" (every check passes, warnings allowed, and the probe went through a
worker and is findable), "partially working" (the probe is indexed and findable but a
check failed, e.g. Redis is down and the fallback did the work), "broken" (the probe did
not end up findable).

Exit codes: 0 when no check fails (warnings alone are not failures), 1 when any check
fails, 2 for bad arguments. Passwords and API keys are masked everywhere.

Examples:
  idx diagnose
  idx diagnose --host 10.0.0.5 --timeout 60 --report diagnose.md
  idx diagnose --redis-url redis://:secret@redis:6379 --qdrant-url http://qdrant:6333 --json`;

export function registerDiagnose(program: Command, context: CliContext): void {
  const command = program
    .command('diagnose')
    .description('check every part, push a probe image through, and report what to fix')
    .option(
      '--host <host>',
      'Redis at <host>:6379 and Qdrant at <host>:6333, unless --redis-url / --qdrant-url say otherwise',
    )
    .option('--image <file>', 'probe image (default: a bundled CC0 product photo)')
    .option('--timeout <seconds>', 'bound on the whole run, every check included (default 30)')
    .option('--report <file.md>', 'also write the report as Markdown to this file');
  addRedisOptions(command);
  addStoreOptions(command);
  addModelOptions(command);
  addOutputOptions(command);
  command.addHelpText('after', HELP);

  command.action(async (flags: DiagnoseFlags) => {
    const { terminal } = context;
    const settings = resolveDiagnoseSettings(flags);
    const mask = (text: string) => redact(text, settings.secrets);

    // ora loops forever clearing lines on a terminal that reports 0 columns.
    const spinner =
      !flags.json && terminal.isTty && (process.stderr.columns ?? 0) > 0
        ? ora({ stream: process.stderr, text: 'Diagnosing' }).start()
        : undefined;
    const started = performance.now();
    let report;
    // Ctrl-C ends the run early but still removes the probe's job and point; a second
    // Ctrl-C exits at once.
    let interrupt = () => {};
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      interrupt();
    };
    process.on('SIGINT', onSignal);
    try {
      report = await runDiagnose(settings, {
        onStep: (label) => {
          if (spinner) {
            spinner.text = label;
          }
        },
        onDeadline: (deadline) => (interrupt = () => deadline.interrupt()),
      });
    } finally {
      process.off('SIGINT', onSignal);
      spinner?.stop();
    }
    stampDuration(report, started);

    const colour =
      Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0';
    terminal.out(
      flags.json
        ? mask(JSON.stringify(report))
        : mask(renderTerminal(report, { colour, width: process.stdout.columns || 120 })),
    );
    if (settings.reportFile) {
      fs.writeFileSync(settings.reportFile, mask(renderMarkdown(report)));
      if (!flags.json) {
        terminal.err(`Report written to ${settings.reportFile}`);
      }
    }
    context.exitCode = report.checks.some((check) => check.status === 'fail')
      ? ExitCode.partial
      : ExitCode.ok;
  });
}
