import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';

import type { Redis } from 'ioredis';

import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/types.js';
import { BEE_PREFIX, queueKeys } from '../queue/keys.js';
import type { VectorStore } from '../store/vector-store.js';
import type { CleanupResult } from './bench-report.js';
import type { WorkerProcess } from './worker-process.js';

/** The key patterns of one queue: bee-queue's and idx's own records. */
function queuePatterns(queue: string): string[] {
  const idxPrefix = queueKeys(queue).stats.replace(/:stats$/, '');
  return [`${BEE_PREFIX}:${queue}:*`, `${idxPrefix}:*`];
}

/** Deletes every Redis key of a queue and returns how many there were. */
export async function clearQueueKeys(redis: Redis, queue: string): Promise<number> {
  let removed = 0;

  for (const pattern of queuePatterns(queue)) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) {
        removed += await redis.del(...keys);
      }
      cursor = next;
    } while (cursor !== '0');
  }

  return removed;
}

/** How many Redis keys a queue has. */
export async function countQueueKeys(redis: Redis, queue: string): Promise<number> {
  let count = 0;

  for (const pattern of queuePatterns(queue)) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      count += keys.length;
      cursor = next;
    } while (cursor !== '0');
  }

  return count;
}

/**
 * Everything a bench run creates, so that one call removes it whatever happened: worker
 * processes, the queue's Redis keys, the collection and the temporary data folder. Each
 * step runs even when an earlier one fails; failures are logged, not thrown, because
 * cleanup usually runs while another error is on its way out.
 */
export class BenchCleanup {
  private readonly workers = new Set<WorkerProcess>();
  private result?: Promise<CleanupResult>;

  constructor(
    private readonly parts: {
      redis: Redis;
      queue: string;
      collection: string;
      tempDir: string;
      logger: Logger;
    },
    private store?: VectorStore,
  ) {}

  /** The store to remove the collection from, once it is open. */
  useStore(store: VectorStore): void {
    this.store = store;
  }

  track(worker: WorkerProcess): void {
    this.workers.add(worker);
    void worker.exited.then(() => this.workers.delete(worker));
  }

  /**
   * What can still be done when the process exits before {@link run} finished (a second
   * Ctrl-C): kill the workers, which would otherwise go on without their bench, and remove
   * the temporary folder. Only synchronous work is possible then; the Redis keys stay.
   */
  exitNow(): void {
    for (const worker of this.workers) {
      try {
        process.kill(worker.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(this.parts.tempDir, { recursive: true, force: true });
  }

  /** Removes everything; a second call waits for the first and returns its result. */
  run(): Promise<CleanupResult> {
    this.result ??= this.removeAll();
    return this.result;
  }

  private async removeAll(): Promise<CleanupResult> {
    const { redis, queue, collection, tempDir } = this.parts;

    await this.attempt('stop worker processes', () =>
      Promise.all([...this.workers].map((worker) => worker.stop())),
    );
    await this.attempt('remove the queue keys', () => clearQueueKeys(redis, queue));
    const queueKeysLeft = await countQueueKeys(redis, queue).catch(() => -1);

    let collectionRemoved = this.store === undefined;
    if (this.store) {
      const store = this.store;
      await this.attempt('remove the collection', () => store.deleteCollection(collection));
      collectionRemoved =
        (await store.describeCollection(collection).catch(() => undefined)) === null;
      await this.attempt('close the store', () => store.close());
    }

    await this.attempt('remove the temporary folder', () =>
      fs.rm(tempDir, { recursive: true, force: true }),
    );
    const tempFilesRemoved = await fs.access(tempDir).then(
      () => false,
      () => true,
    );

    return { queueKeysLeft, collectionRemoved, tempFilesRemoved, queue, collection };
  }

  private async attempt(step: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.parts.logger.warn(`bench cleanup could not ${step}: ${errorMessage(err)}`);
    }
  }
}
