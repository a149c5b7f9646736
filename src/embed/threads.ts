import { availableParallelism } from 'node:os';

import { ConfigError } from '../core/errors.js';

export interface ThreadOptions {
  /** An explicit thread count; wins over everything else. Must be a positive integer. */
  threads?: number;
  /** How many embedding workers share this machine. Default 1. */
  workersOnHost?: number;
  /** CPU cores available. Default `os.availableParallelism()`. */
  cores?: number;
}

/**
 * ONNX intra-op threads for one worker: its fair share of the cores, at least one.
 *
 * Workers on the same machine must not ask for more threads than there are cores between
 * them: measured on a 2-core box, two threads per session became slower than one as soon
 * as another process held a core.
 *
 * @throws ConfigError when an explicit value is not a positive integer.
 */
export function chooseThreads(opts: ThreadOptions = {}): number {
  if (opts.threads !== undefined) {
    requirePositiveInteger('threads', opts.threads);
    return opts.threads;
  }

  const workersOnHost = opts.workersOnHost ?? 1;
  requirePositiveInteger('workersOnHost', workersOnHost);

  const cores = opts.cores ?? availableParallelism();
  requirePositiveInteger('cores', cores);

  return Math.max(1, Math.floor(cores / workersOnHost));
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer (got ${value})`);
  }
}
