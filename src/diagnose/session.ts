import type { Redis } from 'ioredis';

import type { Embedder } from '../embed/embedder.js';
import { EmbedderPool } from '../pipeline/embedder-pool.js';
import type { WorkerStatus } from '../queue/heartbeats.js';
import { closeRedis } from '../queue/redis-connection.js';
import type { CollectionInfo, VectorStore } from '../store/vector-store.js';
import { withTimeout } from '../util/concurrency.js';
import { FixCommands } from './commands.js';
import type { DiagnoseSettings } from './settings.js';

/**
 * What the checks share: the Redis connection, the loaded model, the open store. Each
 * check fills in what it establishes; later checks and the probe use it. `close()` drops
 * everything within a bound, so no socket or timer keeps the process alive.
 */
export class DiagnoseSession {
  readonly commands: FixCommands;
  readonly embedders: EmbedderPool;
  redis?: Redis;
  /** Why Redis is not usable, when it is not. */
  redisProblem?: string;
  /** Redis refused the password: enqueue exits instead of indexing synchronously. */
  redisRefusedPassword = false;
  /** Live workers seen by the workers check, and every registered worker. */
  liveWorkers = 0;
  workers: WorkerStatus[] = [];
  embedder?: Embedder;
  /** The probe image's bytes and embedding, computed by the model check. */
  probeBytes?: Buffer;
  probeEmbedding?: Float32Array;
  store?: VectorStore;
  /** Why the store is not usable, when it is not. */
  storeProblem?: string;
  collection?: CollectionInfo | null;
  /** One image through the synchronous fallback (read, decode, embed, upsert), ms. */
  syncItemMs?: number;

  constructor(readonly settings: DiagnoseSettings) {
    this.commands = new FixCommands(settings);
    const { config } = settings;
    this.embedders = new EmbedderPool({
      threads: config.threads,
      allowDownload: config.allowDownload,
      cacheDir: config.modelCacheDir,
    });
  }

  /** Drops the Redis connection (after a timeout, say) so nobody uses it again. */
  dropRedis(problem: string): void {
    this.redisProblem ??= problem;
    this.redis?.disconnect();
    this.redis = undefined;
  }

  async close(timeoutMs = 1500): Promise<void> {
    const bounded = (work: Promise<unknown>) =>
      withTimeout(work, timeoutMs, () => new Error('close timed out')).catch(() => {});

    const redis = this.redis;
    this.redis = undefined;
    await Promise.all([
      redis ? bounded(closeRedis(redis)).then(() => redis.disconnect()) : undefined,
      this.store ? bounded(this.store.close()) : undefined,
      bounded(this.embedders.close()),
    ]);
  }
}
