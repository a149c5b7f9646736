import type { Terminal } from './terminal.js';

/** What every command gets: where to write, and where to leave its exit code. */
export interface CliContext {
  terminal: Terminal;
  exitCode: number;
}

/** Exit codes. Documented in the README; scripts rely on them. */
export const ExitCode = {
  ok: 0,
  /** The command ran, but some images failed or a check failed. */
  partial: 1,
  /** Bad arguments or configuration. */
  usage: 2,
  /** Redis unavailable (and no fallback), or lost for good by a worker. */
  redisUnavailable: 3,
  /** Interrupted by a signal before finishing. */
  interrupted: 130,
} as const;
