import os from 'node:os';
import path from 'node:path';

import { ConfigError } from '../core/errors.js';
import type { Dtype } from '../core/types.js';

/** The model idx uses when none is given: CLIP ViT-B/32 in ONNX form, 512-D. */
export const DEFAULT_MODEL = 'Xenova/clip-vit-base-patch32';

/** Every setting idx reads, after flags, environment and defaults have been merged. */
export interface IdxConfig {
  /** Redis connection URL. Flag `--redis-url`, env `REDIS_URL`. */
  redisUrl: string;
  /** Give up connecting to Redis after this many ms. Flag `--redis-timeout` (seconds). */
  redisTimeoutMs: number;
  /** Queue name; Redis keys start with `bq:<queue>:` and `idx:<queue>:`. */
  queue: string;
  /** Qdrant URL; unset means the embedded SQLite store. */
  qdrantUrl?: string;
  /** Qdrant API key. Never printed. */
  qdrantApiKey?: string;
  /** Per-request Qdrant timeout, ms. Flag `--qdrant-timeout` (seconds), default 10. */
  qdrantTimeoutMs: number;
  /** Folder of the embedded store. Flag `--data-dir`, env `IDX_DATA_DIR`, default `./.idx`. */
  dataDir: string;
  /** Collection name. Default `products`. */
  collection: string;
  /** Hub id or folder of the CLIP model. */
  model: string;
  dtype: Dtype;
  /** ONNX intra-op threads per process; undefined lets idx choose from the cores. */
  threads?: number;
  /** Allow downloading a hub model. Default false: idx never touches the network for it. */
  allowDownload: boolean;
  /** Where downloaded hub models are cached. */
  modelCacheDir: string;
  /** Images per embedding batch and per upsert. Default 8. */
  batchSize: number;
  /** Batches a worker keeps in flight. Default 2, so decoding overlaps embedding. */
  concurrency: number;
}

/** Values from command-line flags; undefined means "not given". */
export interface ConfigFlags {
  redisUrl?: string;
  redisTimeout?: string | number;
  queue?: string;
  qdrantUrl?: string;
  qdrantApiKey?: string;
  qdrantTimeout?: string | number;
  dataDir?: string;
  collection?: string;
  model?: string;
  dtype?: string;
  threads?: string | number;
  allowDownload?: boolean;
  batchSize?: string | number;
  concurrency?: string | number;
}

type Env = Record<string, string | undefined>;

/**
 * Merges flags over environment over defaults and checks every value. An invalid value is a
 * ConfigError naming the setting and the fix; nothing falls back silently.
 */
export function resolveConfig(flags: ConfigFlags = {}, env: Env = process.env): IdxConfig {
  const pick = (flag: string | number | undefined, ...names: string[]) =>
    flag !== undefined ? String(flag) : names.map((name) => env[name]).find((v) => v);

  const redisUrl = pick(flags.redisUrl, 'REDIS_URL') ?? 'redis://127.0.0.1:6379';
  checkUrl(redisUrl, ['redis:', 'rediss:'], '--redis-url / REDIS_URL');

  const qdrantUrl = pick(flags.qdrantUrl, 'QDRANT_URL');
  if (qdrantUrl) {
    checkUrl(qdrantUrl, ['http:', 'https:'], '--qdrant-url / QDRANT_URL');
  }

  const dtype = pick(flags.dtype, 'IDX_DTYPE') ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'q8') {
    throw new ConfigError(`--dtype must be fp32 or q8, not "${dtype}".`);
  }

  const threads = pick(flags.threads, 'IDX_THREADS');

  return {
    redisUrl,
    redisTimeoutMs:
      1000 *
      positive(pick(flags.redisTimeout, 'IDX_REDIS_TIMEOUT') ?? '2', '--redis-timeout (seconds)'),
    queue: name(pick(flags.queue, 'IDX_QUEUE') ?? 'idx', '--queue / IDX_QUEUE'),
    qdrantUrl,
    qdrantApiKey: pick(flags.qdrantApiKey, 'QDRANT_API_KEY'),
    qdrantTimeoutMs:
      1000 *
      positive(
        pick(flags.qdrantTimeout, 'IDX_QDRANT_TIMEOUT') ?? '10',
        '--qdrant-timeout (seconds)',
      ),
    dataDir: path.resolve(pick(flags.dataDir, 'IDX_DATA_DIR') ?? '.idx'),
    collection: name(pick(flags.collection, 'IDX_COLLECTION') ?? 'products', '--collection'),
    model: pick(flags.model, 'IDX_MODEL') ?? DEFAULT_MODEL,
    dtype,
    threads: threads === undefined ? undefined : integer(threads, '--threads / IDX_THREADS', 256),
    allowDownload: flags.allowDownload ?? isTrue(env.IDX_ALLOW_DOWNLOAD),
    modelCacheDir: path.resolve(
      env.IDX_MODEL_CACHE ?? path.join(os.homedir(), '.cache', 'idx', 'models'),
    ),
    batchSize: integer(
      pick(flags.batchSize, 'IDX_BATCH_SIZE') ?? '8',
      '--batch-size / IDX_BATCH_SIZE',
      256,
    ),
    concurrency: integer(
      pick(flags.concurrency, 'IDX_CONCURRENCY') ?? '2',
      '--concurrency / IDX_CONCURRENCY',
      64,
    ),
  };
}

function checkUrl(url: string, protocols: string[], setting: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `${setting} is not a URL: expected something like ${protocols[0]}//host:port.`,
    );
  }

  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(
      `${setting} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, not ${parsed.protocol}//.`,
    );
  }
}

function positive(value: string, setting: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new ConfigError(`${setting} must be a positive number, not "${value}".`);
  }
  return number;
}

function integer(value: string, setting: string, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    throw new ConfigError(`${setting} must be a whole number from 1 to ${max}, not "${value}".`);
  }
  return number;
}

function name(value: string, setting: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(value)) {
    throw new ConfigError(
      `${setting} "${value}" is not a valid name: use letters, digits, "-", "_" or ".".`,
    );
  }
  return value;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
