import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { IdxConfig } from '../config/config.js';

/** The CLI entry point of this package, which the bench runs as `idx work`. */
const IDX_BIN = fileURLToPath(new URL('../../bin/idx.js', import.meta.url));

/** How much of a worker's stderr is kept for error messages. */
const STDERR_KEPT = 4000;

/** How long a stopped worker may take to finish its batch before it is killed. */
const STOP_GRACE_MS = 30_000;

/** What `idx work --json` prints when it stops. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  indexed: number | null;
}

/** A real `idx work` process started by the bench. */
export interface WorkerProcess {
  readonly id: string;
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<WorkerExit>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** The last few KB it wrote to stderr. */
  stderrTail(): string;
  /** ONNX threads per session, as the worker logged them when it started; null before. */
  threads(): number | null;
  /** SIGTERM, then SIGKILL if it has not exited after the grace period. */
  stop(): Promise<WorkerExit>;
}

/**
 * Starts `node bin/idx.js work` on the bench's queue, store and model. Every setting goes
 * on the command line except the Redis URL and the Qdrant API key, which go in the
 * environment so that a password or key never shows in the process list.
 */
export function startWorker(id: string, config: IdxConfig): WorkerProcess {
  const child = spawn(process.execPath, [IDX_BIN, 'work', ...workerArgs(id, config)], {
    env: {
      ...process.env,
      ...(config.qdrantApiKey ? { QDRANT_API_KEY: config.qdrantApiKey } : {}),
      REDIS_URL: config.redisUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  let threads: number | null = null;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT);
    threads ??= readThreads(stderr);
  });

  let exitedFlag = false;
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
    });
    child.on('close', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal, indexed: readIndexed(stdout) });
    });
  });

  return {
    id,
    pid: child.pid ?? -1,
    exited,
    hasExited: () => exitedFlag,
    stderrTail: () => stderr.trim(),
    threads: () => threads,
    stop: () => stopChild(child, exited, () => exitedFlag),
  };
}

function workerArgs(id: string, config: IdxConfig): string[] {
  const args = [
    ['--worker-id', id],
    ['--redis-timeout', String(config.redisTimeoutMs / 1000)],
    ['--queue', config.queue],
    ['--data-dir', config.dataDir],
    ['--collection', config.collection],
    ['--model', config.model],
    ['--dtype', config.dtype],
    ['--batch-size', String(config.batchSize)],
    ['--concurrency', String(config.concurrency)],
  ];

  if (config.qdrantUrl) {
    args.push(['--qdrant-url', config.qdrantUrl]);
  }
  if (config.threads !== undefined) {
    args.push(['--threads', String(config.threads)]);
  }
  if (config.allowDownload) {
    args.push(['--allow-download']);
  }

  return [...args.flat(), '--json'];
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<WorkerExit>,
  hasExited: () => boolean,
): Promise<WorkerExit> {
  if (!hasExited()) {
    child.kill('SIGTERM');
  }

  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

// The worker's start line says "..., 2 ONNX thread(s), ...".
function readThreads(stderr: string): number | null {
  const match = /(\d+) ONNX thread/.exec(stderr);
  return match ? Number(match[1]) : null;
}

function readIndexed(stdout: string): number | null {
  try {
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { indexed?: unknown };
    return typeof summary.indexed === 'number' ? summary.indexed : null;
  } catch {
    return null;
  }
}
