import { Command, CommanderError } from 'commander';

import { IdxError, errorMessage } from '../core/errors.js';
import { redact } from '../util/mask.js';
import { registerBench } from './commands/bench.js';
import { registerDiagnose } from './commands/diagnose.js';
import { registerEnqueue } from './commands/enqueue.js';
import { registerSearch } from './commands/search.js';
import { registerStatus } from './commands/status.js';
import { registerWork } from './commands/work.js';
import { type CliContext, ExitCode } from './context.js';
import { type Terminal, processTerminal } from './terminal.js';

/** Builds the `idx` program. Commands leave their exit code in the context. */
export function buildProgram(context: CliContext): Command {
  const program = new Command('idx')
    .description('Bulk indexing of product images into a vector database (CLIP + Redis + Qdrant).')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.terminal.out(text.trimEnd()),
      writeErr: (text) => context.terminal.err(text.trimEnd()),
    });

  registerEnqueue(program, context);
  registerWork(program, context);
  registerStatus(program, context);
  registerSearch(program, context);
  registerDiagnose(program, context);
  registerBench(program, context);
  return program;
}

const VERSION = '0.1.0';

/**
 * Runs the CLI and returns the exit code; only bin/idx.js touches the process exit.
 * Errors are printed as one line (with any secret from the environment masked).
 */
export async function main(argv: string[], terminal: Terminal = processTerminal): Promise<number> {
  const context: CliContext = { terminal, exitCode: ExitCode.ok };
  const program = buildProgram(context);

  try {
    await program.parseAsync(argv);
    return context.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }

    const message = redact(errorMessage(err), [process.env.QDRANT_API_KEY, apiKeyFlag(argv)]);
    const exitCode = err instanceof IdxError ? err.exitCode : ExitCode.partial;
    terminal.err(`error: ${message}`);
    if (argv.includes('--json')) {
      // Scripts read stdout: give them the failure in the shape they parse.
      const code = err instanceof IdxError ? err.code : 'UNEXPECTED';
      terminal.out(JSON.stringify({ error: { code, message, exitCode } }));
    }
    if (!(err instanceof IdxError) && process.env.IDX_DEBUG) {
      terminal.err(String((err as Error).stack));
    }
    return exitCode;
  }
}

function apiKeyFlag(argv: string[]): string | undefined {
  const index = argv.indexOf('--qdrant-api-key');
  return index >= 0
    ? argv[index + 1]
    : argv.find((a) => a.startsWith('--qdrant-api-key='))?.split('=')[1];
}
